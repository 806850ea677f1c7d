"""What office staff do with a ticket: take, answer, forward, reject, close.

Each operation checks who acts (services/access.py) and the ticket's state, claims the
row with a conditional update (services/tickets.claim_ticket: a change committed since
the read makes it refuse instead of overwrite), writes the history event with the actor,
and queues what the resident and the groups are told in the same transaction (the caller
commits). Refusals raise StaffActionError whose `.message` is a short Vietnamese
sentence the bot shows as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Office, StaffMember, Ticket, TicketState
from laikhe import clock
from laikhe.labels import STATE_LABELS, format_date
from laikhe.logsafe import pseudonym
from laikhe.validators import clean_text
from services import ticket_search
from services.access import can_read_ticket
from services.calendar import add_working_days
from services.lifecycle import OPEN, Actor, Step, apply, may
from services.notifications import (
    notify_office,
    notify_resident,
    reopen_button,
    resident_address,
    satisfaction_keyboard,
)
from services.staff import active_staff, active_zalo_staff
from services.tickets import TicketPolicy, claim_or_recheck, parse_ticket_code

logger = logging.getLogger(__name__)

MAX_ANSWER_CHARS: Final = 3000

NOT_STAFF: Final = "Xin lỗi, chỉ cán bộ đã đăng ký của xã mới thao tác được trên ý kiến."
NOT_YOURS: Final = (
    "Xin lỗi, ý kiến {code} không thuộc đơn vị của Anh/Chị nên Anh/Chị không xử lý được."
)
NO_CLEARANCE: Final = (
    "Xin lỗi, ý kiến {code} là đơn khiếu nại, tố cáo được bảo mật; Anh/Chị chưa được phân "
    "quyền xem và xử lý."
)
CHANGED_MEANWHILE: Final = (
    "Ý kiến {code} vừa được cập nhật cùng lúc. Anh/Chị xem lại trạng thái rồi thao tác lại giúp."
)


class StaffActionError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(StaffActionError):
    """The person may not act on this ticket (logged as an attempt)."""


@dataclass(frozen=True)
class ActionResult:
    code: str
    state: TicketState
    summary: str  # one line for the group ("➜ Đã nhận xử lý: ...")
    resident_notified: bool


def _now(now: datetime | None) -> datetime:
    return now or clock.now()


async def _acting(
    session: AsyncSession, telegram_user_id: int | None, staff_member: StaffMember | None
) -> StaffMember | None:
    """Who acts: the member a web session found (still active), or the active member with
    this Telegram user id (the bot)."""
    if staff_member is not None:
        return staff_member if staff_member.active else None
    if telegram_user_id is None:
        raise TypeError("a staff action needs telegram_user_id or staff_member")
    return await active_staff(session=session, telegram_user_id=telegram_user_id)


async def zalo_staff(*, session: AsyncSession, zalo_user_id: str, action: str) -> StaffMember:
    """The active member with this Zalo user id, or Refused (and a log line); the caller
    then acts as staff_member=, under the same rules as the bot and the back office."""
    staff = await active_zalo_staff(session=session, zalo_user_id=zalo_user_id)
    if staff is None:
        logger.warning(
            "refused %s: Zalo user %s is not registered staff", action, pseudonym(zalo_user_id)
        )
        raise Refused(NOT_STAFF)
    return staff


async def authorize(
    *,
    session: AsyncSession,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    code: str,
    action: str,
) -> tuple[StaffMember, Ticket]:
    """The acting staff member and the ticket, or Refused (and a log line). The bot
    names the member by Telegram user id, the back office passes the member its session
    found; the rules are the same.

    No row lock here: the operation claims the row (`_claim`) once its checks pass."""
    staff = await _acting(session, telegram_user_id, staff_member)
    who = pseudonym(
        (staff_member.telegram_user_id or staff_member.zalo_user_id)
        if staff_member
        else telegram_user_id
    )
    canonical = parse_ticket_code(code) or code.strip()
    if staff is None:
        logger.warning(
            "refused %s on %s: Telegram user %s is not registered staff",
            action,
            canonical,
            who,
        )
        raise Refused(NOT_STAFF)
    ticket = await session.scalar(
        select(Ticket)
        .options(
            selectinload(Ticket.office),
            selectinload(Ticket.category),
            selectinload(Ticket.village),
            selectinload(Ticket.attachments),
        )
        .where(Ticket.code == canonical)
    )
    if ticket is None:
        raise StaffActionError(f"Không tìm thấy ý kiến có mã {canonical}.")
    if not can_read_ticket(staff, ticket):
        logger.warning(
            "refused %s on %s: staff %s (office %s, role %s) may not act on office %s",
            action,
            ticket.code,
            who,
            staff.office.code if staff.office else "-",
            staff.role.value,
            ticket.office.code,
        )
        template = (
            NO_CLEARANCE if ticket.confidential and not staff.can_read_confidential else NOT_YOURS
        )
        raise Refused(template.format(code=ticket.code))
    return staff, ticket


def _require(ticket: Ticket, step: Step, doing: str) -> None:
    if not may(step, ticket.state):
        label = STATE_LABELS.get(ticket.state, ticket.state)
        raise StaffActionError(
            f"Ý kiến {ticket.code} đang ở trạng thái «{label}», không {doing} được."
        )


async def _claim(
    session: AsyncSession,
    ticket: Ticket,
    check: Callable[[Ticket], None],
    also: tuple[ColumnElement[bool], ...] = (),
) -> None:
    """Hold the ticket as it was checked, or refuse as its new state requires.

    The office is always restated: who may act was decided on it, and a forward to
    another office keeps the state «new»."""
    await claim_or_recheck(
        session=session,
        ticket=ticket,
        also=(Ticket.office_id == ticket.office_id, *also),
        check=check,
        reread=("state", "assigned_staff_id"),
        changed=StaffActionError(CHANGED_MEANWHILE.format(code=ticket.code)),
    )


def _allowed(step: Step, doing: str) -> Callable[[Ticket], None]:
    return lambda ticket: _require(ticket, step, doing)


def _record(
    session: AsyncSession,
    ticket: Ticket,
    staff: StaffMember,
    step: Step,
    note: str,
    now: datetime,
) -> None:
    apply(session, ticket, step, by=Actor.staff(staff), now=now, note=note)


def _clean(text: str, *, empty: str) -> str:
    # Sent to the resident and kept in the history: no control or bidi characters.
    cleaned = clean_text(text).strip()
    if not cleaned:
        raise StaffActionError(empty)
    if len(cleaned) > MAX_ANSWER_CHARS:
        raise StaffActionError(f"Nội dung dài quá {MAX_ANSWER_CHARS} ký tự, Anh/Chị rút gọn giúp.")
    return cleaned


def _who(staff: StaffMember) -> str:
    return staff.full_name


async def take(
    *,
    session: AsyncSession,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    code: str,
    now: datetime | None = None,
) -> ActionResult:
    now = _now(now)
    staff, ticket = await authorize(
        session=session,
        telegram_user_id=telegram_user_id,
        staff_member=staff_member,
        code=code,
        action="take",
    )

    def can_take(current: Ticket) -> None:
        _require(current, Step.TAKE, "nhận xử lý")
        if current.state is TicketState.ASSIGNED and current.assigned_staff_id == staff.id:
            raise StaffActionError(f"Anh/Chị đã nhận xử lý ý kiến {current.code} rồi.")

    can_take(ticket)
    await _claim(
        session,
        ticket,
        can_take,
        (Ticket.assigned_staff_id.is_not_distinct_from(ticket.assigned_staff_id),),
    )
    was_assigned = ticket.state is TicketState.ASSIGNED
    ticket.assigned_staff_id = staff.id
    _record(session, ticket, staff, Step.TAKE, f"Nhận xử lý: {_who(staff)}", now)
    notified = False
    if not was_assigned:
        # Handing over inside the office is not news for the resident.
        notified = await notify_resident(
            session=session,
            ticket=ticket,
            text=(
                f"Ý kiến {ticket.code} của Anh/Chị đã được {ticket.office.name} tiếp nhận, "
                f"cán bộ đang xử lý. Hạn trả lời: {format_date(ticket.due_date)}."
            ),
        )
    await session.flush()
    return ActionResult(ticket.code, ticket.state, f"Đã nhận xử lý: {_who(staff)}", notified)


async def answer(
    *,
    session: AsyncSession,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    code: str,
    text: str,
    now: datetime | None = None,
) -> ActionResult:
    now = _now(now)
    staff, ticket = await authorize(
        session=session,
        telegram_user_id=telegram_user_id,
        staff_member=staff_member,
        code=code,
        action="answer",
    )
    _require(ticket, Step.ANSWER, "trả lời")
    body = _clean(text, empty="Anh/Chị nhập nội dung trả lời giúp.")
    await _claim(session, ticket, _allowed(Step.ANSWER, "trả lời"))
    if ticket.assigned_staff_id is None:
        ticket.assigned_staff_id = staff.id
    _record(session, ticket, staff, Step.ANSWER, f"Trả lời: {body}", now)
    ticket_search.index_answer(ticket, body)
    notified = await notify_resident(
        session=session,
        ticket=ticket,
        purpose="answer",
        text=(
            f"📩 Trả lời của {ticket.office.name} về ý kiến {ticket.code}:\n\n{body}\n\n"
            "Nếu vấn đề chưa được giải quyết, Anh/Chị bấm «Chưa được giải quyết»."
        ),
        keyboard=[[reopen_button(ticket.code)]],
    )
    also = await _tell_duplicates(session, ticket, staff, body, now)
    await session.flush()
    summary = f"Đã trả lời: {_who(staff)}"
    if not notified:
        summary += " (người gửi ẩn danh hoặc không qua Telegram, Zalo: chỉ lưu trong lịch sử)"
    if also:
        summary += f"; đã gửi cả {also} người gửi ý kiến trùng"
    return ActionResult(ticket.code, ticket.state, summary, notified)


async def _tell_duplicates(
    session: AsyncSession, original: Ticket, staff: StaffMember, body: str, now: datetime
) -> int:
    """The answer also reaches those whose tickets were marked duplicates of this one; the
    number that could be told."""
    duplicates = (
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.duplicate_of_id == original.id,
                Ticket.state == TicketState.DUPLICATE,
            )
            .order_by(Ticket.id)
        )
    ).all()
    told = 0
    for duplicate in duplicates:
        sent = await notify_resident(
            session=session,
            ticket=duplicate,
            purpose="answer",
            text=(
                f"📩 Trả lời của {original.office.name} về ý kiến {original.code}, trùng với "
                f"ý kiến {duplicate.code} của Anh/Chị:\n\n{body}"
            ),
        )
        if sent:
            told += 1
            note = f"Đã gửi người gửi trả lời của ý kiến {original.code}"
            _record(session, duplicate, staff, Step.NOTE, note, now)
    return told


async def forward(
    *,
    session: AsyncSession,
    policy: TicketPolicy,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    code: str,
    office_code: str | None,
    note: str | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """To another commune office (office_code), or outside the commune (None). `note`,
    optional, is for the staff who read the history (the receiving office); the resident
    is not sent it."""
    now = _now(now)
    staff, ticket = await authorize(
        session=session,
        telegram_user_id=telegram_user_id,
        staff_member=staff_member,
        code=code,
        action="forward",
    )
    _require(ticket, Step.FORWARD, "chuyển")
    why = clean_text(note or "").strip()
    if len(why) > MAX_ANSWER_CHARS:
        raise StaffActionError(f"Ghi chú dài quá {MAX_ANSWER_CHARS} ký tự, Anh/Chị rút gọn giúp.")
    because = f". Ghi chú: {why}" if why else ""
    old_office = ticket.office
    if office_code is None:
        await _claim(session, ticket, _allowed(Step.FORWARD_OUT, "chuyển"))
        days = policy.due_working_days.get("forwarded", 5)
        ticket.due_date = add_working_days(clock.to_local(now).date(), days)
        _record(
            session,
            ticket,
            staff,
            Step.FORWARD_OUT,
            f"Ngoài thẩm quyền của xã: chuyển cơ quan có thẩm quyền trong {days} ngày làm "
            f"việc (hạn {format_date(ticket.due_date)}){because}",
            now,
        )
        notified = await notify_resident(
            session=session,
            ticket=ticket,
            text=(
                f"Ý kiến {ticket.code} thuộc thẩm quyền của cơ quan ngoài xã. "
                f"{old_office.name} sẽ chuyển đến cơ quan có thẩm quyền chậm nhất ngày "
                f"{format_date(ticket.due_date)} và báo lại Anh/Chị."
            ),
        )
        await session.flush()
        return ActionResult(
            ticket.code, ticket.state, f"Đã chuyển ra ngoài xã: {_who(staff)}", notified
        )
    target = await session.scalar(select(Office).where(Office.code == office_code.upper()))
    if target is None:
        raise StaffActionError(f"Không có đơn vị mã {office_code}.")
    if target.id == old_office.id:
        raise StaffActionError(f"Ý kiến {ticket.code} đã thuộc {target.name}.")
    await _claim(session, ticket, _allowed(Step.FORWARD, "chuyển"))
    ticket.office = target
    ticket.office_id = target.id
    ticket.assigned_staff_id = None
    _record(
        session,
        ticket,
        staff,
        Step.FORWARD,
        f"Chuyển từ {old_office.code} sang {target.code}{because}",
        now,
    )
    await session.flush()
    await notify_office(
        session=session, ticket=ticket, office=target, heading=f"Ý kiến chuyển từ {old_office.name}"
    )
    notified = await notify_resident(
        session=session,
        ticket=ticket,
        text=(
            f"Ý kiến {ticket.code} của Anh/Chị đã được chuyển đến {target.name} để xử lý "
            "đúng thẩm quyền."
        ),
    )
    await session.flush()
    return ActionResult(
        ticket.code, ticket.state, f"Đã chuyển sang {target.name}: {_who(staff)}", notified
    )


async def reject(
    *,
    session: AsyncSession,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    code: str,
    reason: str,
    now: datetime | None = None,
) -> ActionResult:
    now = _now(now)
    staff, ticket = await authorize(
        session=session,
        telegram_user_id=telegram_user_id,
        staff_member=staff_member,
        code=code,
        action="reject",
    )
    _require(ticket, Step.REJECT, "từ chối")
    why = _clean(reason, empty="Từ chối cần có lý do; Anh/Chị nhập lý do giúp.")
    await _claim(session, ticket, _allowed(Step.REJECT, "từ chối"))
    _record(session, ticket, staff, Step.REJECT, f"Từ chối: {why}", now)
    notified = await notify_resident(
        session=session,
        ticket=ticket,
        text=f"{ticket.office.name} không tiếp nhận ý kiến {ticket.code}.\nLý do: {why}",
    )
    await session.flush()
    return ActionResult(ticket.code, ticket.state, f"Đã từ chối: {_who(staff)}", notified)


async def mark_duplicate(
    *,
    session: AsyncSession,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    code: str,
    original_code: str,
    now: datetime | None = None,
) -> ActionResult:
    """The ticket repeats an earlier open one: it ends here, and its sender will get the
    earlier ticket's answer."""
    now = _now(now)
    staff, ticket = await authorize(
        session=session,
        telegram_user_id=telegram_user_id,
        staff_member=staff_member,
        code=code,
        action="duplicate",
    )
    _require(ticket, Step.MARK_DUPLICATE, "đánh dấu trùng")
    canonical = parse_ticket_code(original_code) or original_code.strip()
    original = await session.scalar(
        select(Ticket).options(selectinload(Ticket.office)).where(Ticket.code == canonical)
    )
    if original is None:
        raise StaffActionError(f"Không tìm thấy ý kiến có mã {canonical}.")
    if original.id == ticket.id:
        raise StaffActionError(f"Anh/Chị nhập mã của ý kiến gốc, khác {ticket.code}.")
    if not can_read_ticket(staff, original):
        raise Refused(NOT_YOURS.format(code=original.code))
    if ticket.confidential or original.confidential:
        # Its answer would reach another person; a complaint's never may.
        raise StaffActionError("Đơn khiếu nại, tố cáo được bảo mật nên không gộp với ý kiến khác.")
    if original.state not in OPEN or original.duplicate_of_id is not None:
        raise StaffActionError(
            f"Ý kiến {original.code} không còn đang xử lý; Anh/Chị trả lời trực tiếp "
            f"ý kiến {ticket.code}."
        )
    await _claim(session, ticket, _allowed(Step.MARK_DUPLICATE, "đánh dấu trùng"))
    ticket.duplicate_of_id = original.id
    _record(session, ticket, staff, Step.MARK_DUPLICATE, f"Trùng với ý kiến {original.code}", now)
    # Staff of the original see why its answer will go to one more person.
    note = f"Ý kiến {ticket.code} trùng với ý kiến này; trả lời sẽ được gửi cả người gửi đó"
    _record(session, original, staff, Step.NOTE, note, now)
    notified = await notify_resident(
        session=session,
        ticket=ticket,
        text=(
            f"Ý kiến {ticket.code} của Anh/Chị trùng với ý kiến {original.code} về cùng vấn "
            f"đề, đang được {original.office.name} xử lý. Khi có trả lời, trợ lý sẽ gửi "
            "cho Anh/Chị."
        ),
    )
    await session.flush()
    return ActionResult(
        ticket.code, ticket.state, f"Trùng với {original.code}: {_who(staff)}", notified
    )


async def close(
    *,
    session: AsyncSession,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    code: str,
    now: datetime | None = None,
) -> ActionResult:
    now = _now(now)
    staff, ticket = await authorize(
        session=session,
        telegram_user_id=telegram_user_id,
        staff_member=staff_member,
        code=code,
        action="close",
    )
    _require(ticket, Step.CLOSE, "đóng")
    await _claim(session, ticket, _allowed(Step.CLOSE, "đóng"))
    answered = ticket.state is TicketState.ANSWERED
    _record(session, ticket, staff, Step.CLOSE, f"Đóng: {_who(staff)}", now)
    notified = await notify_resident(
        session=session,
        ticket=ticket,
        purpose="satisfaction",
        text=(
            f"Ý kiến {ticket.code} đã được đóng. Anh/Chị hài lòng với kết quả xử lý ở mức "
            "nào? (1 = rất không hài lòng, 5 = rất hài lòng)"
        ),
        keyboard=satisfaction_keyboard(ticket.code, answered=answered),
    )
    await session.flush()
    return ActionResult(ticket.code, ticket.state, f"Đã đóng: {_who(staff)}", notified)


NOTE_ON_ERASED: Final = (
    "Dữ liệu cá nhân của ý kiến {code} đã được xóa theo quy định nên không thêm ghi chú được."
)


async def add_internal_note(
    *,
    session: AsyncSession,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    code: str,
    text: str,
    now: datetime | None = None,
) -> ActionResult:
    """A note for colleagues in the ticket's history, in any state. Nobody is notified:
    the resident never sees it, staff read it where they read the history."""
    now = _now(now)
    staff, ticket = await authorize(
        session=session,
        telegram_user_id=telegram_user_id,
        staff_member=staff_member,
        code=code,
        action="note",
    )
    if ticket.anonymised_at is not None:
        # Its free text was erased (privacy, retention); a note would bring some back.
        raise StaffActionError(NOTE_ON_ERASED.format(code=ticket.code))
    body = _clean(text, empty="Anh/Chị nhập nội dung ghi chú giúp.")
    apply(session, ticket, Step.INTERNAL_NOTE, by=Actor.staff(staff), now=now, note=body)
    await session.flush()
    return ActionResult(ticket.code, ticket.state, f"Đã thêm ghi chú nội bộ: {_who(staff)}", False)


async def check_can_act(
    *,
    session: AsyncSession,
    telegram_user_id: int | None = None,
    staff_member: StaffMember | None = None,
    code: str,
    action: str,
) -> Ticket:
    """Authorisation only (before asking for an answer or a reason): the ticket, or Refused."""
    _, ticket = await authorize(
        session=session,
        telegram_user_id=telegram_user_id,
        staff_member=staff_member,
        code=code,
        action=action,
    )
    return ticket


def has_resident_chat(ticket: Ticket) -> bool:
    return resident_address(ticket) is not None
