"""Proposals to add a question and its answer to the assistant's FAQ, and their review.

Staff propose (from a saved answer or a ticket they answered); commune leaders and
administrators accept or reject with a note. Accepting trains nothing: the accepted
entries are rendered as YAML for the commune's maintainer to paste into nlu/faq.yml and
nlu/faq_responses.yml before training a new model. Phones and e-mails are masked before
a proposal is stored (reports.data.mask_contacts): the FAQ is public, a resident's
contact details must never reach it. Flushes only; the caller's unit of work commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import FaqProposal, ProposalStatus, StaffMember, TicketState
from laikhe.vntext import nfc
from reports.data import mask_contacts
from services import handling
from services.access import COMMUNE_WIDE_ROLES
from services.saved_answers import get_saved_answer
from services.ticket_queries import ticket_history

QUESTION_MIN, QUESTION_MAX = 5, 300
# nlu/faq_responses.yml: an FAQ answer fits a phone screen, 900 characters at most.
ANSWER_MIN, ANSWER_MAX = 10, 900
NOTE_MAX: Final = 1000
ANSWER_PREFIX: Final = "Trả lời: "  # how services.handling.answer records the answer

QUESTION_LENGTH: Final = (
    f"Câu hỏi cần từ {QUESTION_MIN} đến {QUESTION_MAX} ký tự. Anh/Chị nhập lại giúp."
)
ANSWER_LENGTH: Final = (
    f"Câu trả lời cần từ {ANSWER_MIN} đến {ANSWER_MAX} ký tự (vừa một màn hình điện "
    "thoại). Anh/Chị rút gọn hoặc bổ sung giúp."
)
ONLY_LEADERS: Final = "Chỉ lãnh đạo xã hoặc quản trị viên mới duyệt đề xuất câu hỏi thường gặp."
NOT_FOUND: Final = "Không tìm thấy đề xuất này."
ALREADY_REVIEWED: Final = "Đề xuất này đã được duyệt trước đó."
NOTE_NEEDED: Final = "Anh/Chị ghi lý do không chấp nhận giúp (để người đề xuất biết)."
NOTE_LENGTH: Final = f"Ghi chú tối đa {NOTE_MAX} ký tự."
CONFIDENTIAL: Final = (
    "Ý kiến {code} được bảo mật (khiếu nại, tố cáo): không dùng để đề xuất câu hỏi thường gặp."
)
NOT_ANSWERED: Final = "Ý kiến {code} chưa có câu trả lời để đề xuất."
MASKED: Final = "Số điện thoại, email trong đề xuất đã được tự động ẩn."

STATUS_LABELS: Final = {
    ProposalStatus.PROPOSED: "Chờ duyệt",
    ProposalStatus.ACCEPTED: "Đã chấp nhận",
    ProposalStatus.REJECTED: "Không chấp nhận",
}


class ProposalError(Exception):
    """A refusal with a message for the staff member (Vietnamese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Draft:
    """What the proposal form starts with, contact details already masked."""

    question: str
    answer: str


def may_review(staff: StaffMember) -> bool:
    """Commune-wide roles: the FAQ speaks for the whole commune, not one office."""
    return staff.active and staff.role in COMMUNE_WIDE_ROLES


def _tidy(text: str) -> str:
    """Line breaks kept (an answer is read as typed), trailing spaces dropped."""
    lines = nfc(text).replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _one_line(text: str) -> str:
    return " ".join(mask_contacts(nfc(text)).split())


def _block(text: str) -> str:
    return mask_contacts(_tidy(text))


async def draft_from_saved_answer(
    *, session: AsyncSession, staff: StaffMember, answer_id: int
) -> Draft:
    saved = await get_saved_answer(session=session, staff=staff, answer_id=answer_id)
    return Draft(question="", answer=_block(saved.text))


async def draft_from_ticket(*, session: AsyncSession, staff: StaffMember, code: str) -> Draft:
    """The ticket's question and its latest answer; the same access as the ticket page
    (raises services.handling.Refused / StaffActionError), never a confidential one."""
    ticket = await handling.check_can_act(
        session=session, staff_member=staff, code=code, action="view"
    )
    if ticket.confidential:
        raise ProposalError(CONFIDENTIAL.format(code=ticket.code))
    history = await ticket_history(session=session, code=ticket.code)
    answers = [
        event.note.removeprefix(ANSWER_PREFIX)
        for event in (history.events if history else [])
        if event.to_state is TicketState.ANSWERED and event.note
    ]
    if not answers:
        raise ProposalError(NOT_ANSWERED.format(code=ticket.code))
    return Draft(question=_one_line(ticket.content)[:QUESTION_MAX], answer=_block(answers[-1]))


async def propose(
    *, session: AsyncSession, staff: StaffMember, question: str, answer: str, now: datetime
) -> tuple[FaqProposal, bool]:
    """Stores the proposal (masked); also says whether anything had to be masked."""
    shown_question, shown_answer = _one_line(question), _block(answer)
    masked = shown_question != " ".join(nfc(question).split()) or shown_answer != _tidy(answer)
    if not QUESTION_MIN <= len(shown_question) <= QUESTION_MAX:
        raise ProposalError(QUESTION_LENGTH)
    if not ANSWER_MIN <= len(shown_answer) <= ANSWER_MAX:
        raise ProposalError(ANSWER_LENGTH)
    proposal = FaqProposal(
        question=shown_question,
        answer=shown_answer,
        office_id=staff.office_id,
        proposed_by_id=staff.id,
        status=ProposalStatus.PROPOSED,
        created_at=now,
    )
    session.add(proposal)
    await session.flush()
    return proposal, masked


async def list_proposals(*, session: AsyncSession, staff: StaffMember) -> list[FaqProposal]:
    """Leaders see every proposal; other staff those of their office and their own."""
    query = (
        select(FaqProposal)
        .options(selectinload(FaqProposal.proposed_by), selectinload(FaqProposal.reviewed_by))
        .options(selectinload(FaqProposal.office))
        .order_by(FaqProposal.created_at.desc(), FaqProposal.id.desc())
    )
    if not may_review(staff):
        mine = FaqProposal.proposed_by_id == staff.id
        query = query.where(
            or_(mine, FaqProposal.office_id == staff.office_id)
            if staff.office_id is not None
            else mine
        )
    return list(await session.scalars(query))


async def review(
    *,
    session: AsyncSession,
    staff: StaffMember,
    proposal_id: int,
    accept: bool,
    note: str,
    now: datetime,
) -> FaqProposal:
    if not may_review(staff):
        raise ProposalError(ONLY_LEADERS)
    proposal = await session.get(FaqProposal, proposal_id)
    if proposal is None:
        raise ProposalError(NOT_FOUND)
    if proposal.status is not ProposalStatus.PROPOSED:
        raise ProposalError(ALREADY_REVIEWED)
    cleaned = _block(note)
    if len(cleaned) > NOTE_MAX:
        raise ProposalError(NOTE_LENGTH)
    if not accept and not cleaned:
        raise ProposalError(NOTE_NEEDED)
    proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
    proposal.review_note = cleaned or None
    proposal.reviewed_by_id = staff.id
    proposal.reviewed_at = now
    await session.flush()
    return proposal


async def accepted_proposals(*, session: AsyncSession) -> list[FaqProposal]:
    """Every accepted proposal, oldest first (the admin CLI's `faq export`)."""
    query = select(FaqProposal).where(FaqProposal.status == ProposalStatus.ACCEPTED)
    return list(await session.scalars(query.order_by(FaqProposal.id)))


def topic_key(proposal: FaqProposal) -> str:
    """The retrieval key the maintainer may rename (faq/<key>, utter_faq/<key>)."""
    return f"de_xuat_{proposal.id}"


def _literal(text: str, indent: str) -> str:
    return "\n".join(f"{indent}{line}" if line else "" for line in text.split("\n"))


def accepted_yaml(proposals: list[FaqProposal]) -> str:
    """The accepted proposals as the two YAML fragments the FAQ is made of: training
    examples (nlu/faq.yml, under `nlu:`) and answers (nlu/faq_responses.yml, under
    `responses:`). Literal blocks (|) keep any text as typed, quotes and colons included."""
    accepted = [p for p in proposals if p.status is ProposalStatus.ACCEPTED]
    if not accepted:
        return ""
    nlu = ["# nlu/faq.yml, dưới «nlu:»"]
    responses = ["# nlu/faq_responses.yml, dưới «responses:»"]
    for proposal in sorted(accepted, key=lambda p: p.id):
        key = topic_key(proposal)
        nlu += [f"- intent: faq/{key}", "  examples: |", f"    - {proposal.question}", ""]
        responses += [f"  utter_faq/{key}:", "  - text: |", _literal(proposal.answer, "      "), ""]
    return "\n".join(nlu + responses).rstrip() + "\n"
