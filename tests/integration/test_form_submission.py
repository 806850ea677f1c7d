"""The forms' «Gửi» with a real rasa-sdk Tracker and CollectingDispatcher on real migrated
databases: a submission id from the summary makes a second «Gửi» return the same ticket
(issue #17 item 12), and a chat over its new-ticket limit keeps its form (item 15)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.business import AskBusinessConfirm, SubmitBusiness
from actions.feedback import AskFeedbackConfirm, SubmitFeedback
from actions.request_human import SubmitHumanRequest
from actions.ticket_forms import SUBMISSION_SLOT, reset_slots
from db.models import OutboxMessage, Ticket, TicketKind
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from laikhe.labels import format_date
from services.tickets import NewTicket, TicketPolicy, create_ticket
from tests.integration.staff_helpers import configure_groups
from tests.integration.ticket_helpers import Sessions
from tests.replies import said, text_of

pytestmark = pytest.mark.usefixtures("action_runtime")

CHAT = "2001"
SUBMISSION = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
FEEDBACK = {
    "feedback_consent": True,
    "feedback_kind": "gop_y",
    "feedback_category": "dich_vu_cong",
    "feedback_content": "Cổng dịch vụ công của xã hay bị lỗi khi nộp hồ sơ",
    "feedback_village": "THON-MAU-2",
    "feedback_duplicate_code": "none",
    "feedback_photos_done": "none",
}


def tracker(slots: dict[str, Any], *, intent: str = "affirm") -> Tracker:
    return Tracker(
        sender_id=CHAT,
        slots=slots,
        latest_message={"text": "", "intent": {"name": intent}, "entities": []},
        events=[{"event": "user", "text": "", "input_channel": "telegram"}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def run(
    action: Any, slots: dict[str, Any], domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker(slots), domain)
    return events, dispatcher.messages


async def counts(sessions: Sessions) -> tuple[int, int]:
    async with sessions() as session:
        tickets = await session.scalar(select(func.count()).select_from(Ticket))
        cards = await session.scalar(select(func.count()).select_from(OutboxMessage))
        return tickets or 0, cards or 0


async def test_the_summary_sets_a_submission_id_once(domain: dict[str, Any]) -> None:
    # The engine keeps only declared slots.
    assert domain["slots"][SUBMISSION_SLOT]["mappings"] == [{"type": "custom"}]
    events, messages = await run(AskFeedbackConfirm(), dict(FEEDBACK), domain)
    [event] = events
    assert event["event"] == "slot" and event["name"] == SUBMISSION_SLOT
    assert len(event["value"]) == 32 and int(event["value"], 16) >= 0
    assert [b["title"] for b in messages[0]["buttons"]] == ["Gửi", "Sửa", "Hủy"]
    # Shown again (after «Sửa», or «Gửi lại»): the same submission keeps its id.
    events, _ = await run(AskFeedbackConfirm(), {**FEEDBACK, SUBMISSION_SLOT: "x"}, domain)
    assert events == []
    # Each form's summary does it (one shared helper).
    events, _ = await run(AskBusinessConfirm(), {"business_consent": True}, domain)
    assert [e["name"] for e in events] == [SUBMISSION_SLOT]


async def test_a_second_send_of_the_same_form_returns_the_same_ticket(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    await configure_groups(sessions)
    slots = {**FEEDBACK, "feedback_confirm": "send", SUBMISSION_SLOT: SUBMISSION}
    events, messages = await run(SubmitFeedback(), slots, domain)
    assert events == reset_slots("feedback_form")
    assert SlotSet(SUBMISSION_SLOT, None) in events  # the next form gets a new id
    [ticket] = await _tickets(sessions)
    assert ticket.submission_id == SUBMISSION
    assert text_of(messages[0]).startswith(f"Đã gửi ý kiến của Anh/Chị. Mã: {ticket.code}\n")

    # The engine timed out and the form's end never reached the tracker: «Gửi» again.
    events, messages = await run(SubmitFeedback(), slots, domain)
    assert events == reset_slots("feedback_form")
    [message] = messages
    assert said(message) == (
        "utter_feedback_already_sent",
        {"code": ticket.code, "office": "Văn phòng HĐND và UBND xã", "due_date": _due(ticket)},
    )
    assert (message["text"], message["buttons"]) == (None, [])
    assert text_of(message) == (
        f"Ý kiến này đã được ghi nhận trước đó. Mã: {ticket.code}\n"
        "Đơn vị tiếp nhận: Văn phòng HĐND và UBND xã\n"
        f"Hạn trả lời dự kiến: {_due(ticket)}\n"
        "Cán bộ trả lời qua cuộc trò chuyện này. Anh/Chị lưu mã để tra cứu."
    )
    assert await counts(sessions) == (1, 1)  # one ticket, one card in the office group


async def test_over_the_limit_the_form_is_kept_and_nothing_is_created(
    sessions: Sessions, commune: CommuneConfig, domain: dict[str, Any]
) -> None:
    await configure_groups(sessions)
    now = datetime.now(commune_zone())
    for minutes in (50, 40, 30, 20, 10):
        await _earlier_ticket(sessions, commune, now - timedelta(minutes=minutes))
    before = await counts(sessions)

    slots = {**FEEDBACK, "feedback_confirm": "send", SUBMISSION_SLOT: SUBMISSION}
    events, messages = await run(SubmitFeedback(), slots, domain)
    # Only the confirmation is cleared: «Gửi lại» reopens the form at the summary.
    assert events == [SlotSet("feedback_confirm", None)]
    [message] = messages
    assert text_of(message) == (
        "Xin lỗi Anh/Chị, mỗi cuộc trò chuyện gửi được tối đa 5 ý kiến trong 1 giờ. "
        "Nội dung vẫn được giữ: Anh/Chị bấm «Gửi lại» sau khoảng 10 phút giúp."
    )
    assert message["buttons"] == [{"title": "Gửi lại", "payload": "/give_feedback"}]
    assert await counts(sessions) == before

    business = {
        "business_consent": True,
        "business_name": "Hộ kinh doanh Mây tre Lại Khê",
        "tax_code": "0100109106",
        "business_sector": "Thủ công mỹ nghệ",
        "business_proposal": "Đề nghị xã hỗ trợ đưa sản phẩm lên sàn thương mại điện tử",
        "contact_name": "Trần Thị Bình",
        "business_contact": "binh@example.vn",
        "business_confirm": "send",
    }
    events, messages = await run(SubmitBusiness(), business, domain)
    assert events == [SlotSet("business_confirm", None)]
    assert messages[0]["buttons"] == [{"title": "Gửi lại", "payload": "/business_proposal"}]

    # «Gặp cán bộ» makes a ticket too: refused the same way, the question kept.
    question = "Cho tôi hỏi lịch tiếp dân của xã"
    events, messages = await run(SubmitHumanRequest(), {"human_question": question}, domain)
    assert events == [
        SlotSet("human_consent", None),
        SlotSet("human_question", None),
        SlotSet("human_context", None),
        SlotSet("pending_question", question),
    ]
    assert text_of(messages[0]).startswith("Xin lỗi Anh/Chị, mỗi cuộc trò chuyện gửi được tối đa")
    assert messages[0]["buttons"] == [{"title": "Gửi lại", "payload": "/request_human"}]
    assert await counts(sessions) == before


async def _earlier_ticket(sessions: Sessions, commune: CommuneConfig, at: datetime) -> None:
    async with sessions() as session:
        await create_ticket(
            session=session,
            policy=TicketPolicy.from_config(commune),
            ticket=NewTicket(
                kind=TicketKind.GOP_Y,
                content="Góp ý trước đó",
                channel="telegram",
                sender_id=CHAT,
                category_code="dich_vu_cong",
            ),
            now=at,
        )
        await session.commit()


async def _tickets(sessions: Sessions) -> list[Ticket]:
    async with sessions() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


def _due(ticket: Ticket) -> str:
    return format_date(ticket.due_date)
