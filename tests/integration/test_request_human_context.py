"""«Gặp cán bộ» after a form: what the question ticket copies of the conversation.

Trackers are built from the events the engine records (session start, user messages
with their parse data, form actions, active_loop, bot utterances), and the ticket and
its group card are read back from a migrated database.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.request_human import CONTEXT_HEADER, ActionRequestHuman, SubmitHumanRequest
from db.models import Ticket
from tests.integration.staff_helpers import TTVHTT_GROUP, Sessions, configure_groups, outbox_rows
from tests.replies import DOMAIN, text_of

pytestmark = pytest.mark.usefixtures("action_runtime")

COMPLAINT_WORDS = "Trưởng thôn Mẫu 1 thu của mỗi hộ 500 nghìn tiền làm đường không có biên lai"
NAME, PHONE = "Nguyễn Văn An", "0912345678"
QUESTION = "Khi nào xã tổ chức họp dân về làm đường?"


def user(text: str, intent: str) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.97}, "entities": []},
        "input_channel": "telegram",
    }


def bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text, "data": {}}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def loop(name: str | None) -> dict[str, Any]:
    return {"event": "active_loop", "name": name}


def asked(slot: str, text: str) -> list[dict[str, Any]]:
    """A form's question: the form runs, requests a slot, and its ask action speaks."""
    return [
        {"event": "slot", "name": "requested_slot", "value": slot},
        action(f"action_ask_{slot}"),
        bot(text),
        action("action_listen"),
    ]


START = [action("action_session_start"), {"event": "session_started"}, action("action_listen")]
FAQ = [
    user("lam the nao de dang ky vneid", "faq"),
    action("action_answer_faq"),
    bot("Để đăng ký tài khoản VNeID mức 2, Anh/Chị mang căn cước tới Công an xã."),
    action("action_listen"),
]
ASK_HUMAN = [user("gặp cán bộ", "request_human")]

COMPLAINT = [
    user(f"tôi muốn tố cáo: {COMPLAINT_WORDS}", "file_complaint"),
    action("complaint_form"),
    loop("complaint_form"),
    *asked("complaint_record", text_of({"response": "utter_complaint_legal_path"})),
    user("/affirm", "affirm"),
    action("complaint_form"),
    *asked("complaint_content", "Anh/Chị trình bày nội dung khiếu nại, tố cáo."),
    user(COMPLAINT_WORDS, "inform"),
    action("complaint_form"),
    *asked("contact_name", "Anh/Chị cho biết họ tên."),
    user(NAME, "inform"),
    action("complaint_form"),
    *asked("contact_phone", "Số điện thoại để cán bộ liên hệ?"),
    user(PHONE, "inform"),
    action("complaint_form"),
    *asked("complaint_confirm", f"Nội dung: {COMPLAINT_WORDS}\nHọ tên: {NAME}\nĐT: {PHONE}"),
    user("/affirm", "affirm"),
    action("complaint_form"),
    {"event": "slot", "name": "requested_slot", "value": None},
    loop(None),
    action("action_submit_complaint"),
    bot("Đã ghi nhận nội dung (bảo mật). Mã: LK-2026-000001"),
    action("action_listen"),
]

# A formal report with a name and a phone, cancelled at the last step.
FEEDBACK_FORM = [
    user("phản ánh đèn đường trước nhà số 12 ngõ 3 hỏng", "give_feedback"),
    action("feedback_form"),
    loop("feedback_form"),
    *asked("feedback_content", "Anh/Chị viết nội dung ý kiến."),
    user("Đèn đường trước nhà số 12 ngõ 3 thôn Mẫu 2 hỏng", "inform"),
    action("feedback_form"),
    *asked("contact_name", "Anh/Chị cho biết họ tên."),
    user(NAME, "inform"),
    action("feedback_form"),
    *asked("contact_phone", "Số điện thoại để cán bộ liên hệ?"),
    user(PHONE, "inform"),
    action("feedback_form"),
    *asked("feedback_confirm", "Anh/Chị kiểm tra lại ý kiến"),
    user("hủy", "cancel"),
    action("action_deactivate_loop"),
    loop(None),
    action("action_cancel_form"),
    bot("Đã hủy. Nội dung chưa được gửi."),
    action("action_listen"),
]


def tracker(events: list[dict[str, Any]], slots: dict[str, Any] | None = None) -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")
    return Tracker(
        sender_id="1001",
        slots=slots or {},
        latest_message={**latest["parse_data"], "text": latest["text"]},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def ask_staff(
    sessions: Sessions, events: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], Ticket, str]:
    """Run the flow's first and last actions on this conversation: the ticket and the
    card posted in the intake office's group."""
    await configure_groups(sessions)
    started = await ActionRequestHuman().run(CollectingDispatcher(), tracker(events), DOMAIN)
    slots = {event["name"]: event["value"] for event in started}
    slots.update(human_consent=True, human_question=QUESTION)
    await SubmitHumanRequest().run(CollectingDispatcher(), tracker(events, slots), DOMAIN)
    async with sessions() as session:
        ticket = (await session.scalars(select(Ticket))).one()
    [card] = [row.text or "" for row in await outbox_rows(sessions, TTVHTT_GROUP)]
    return started, ticket, card


async def test_a_complaint_in_the_session_is_not_copied_into_the_question_ticket(
    sessions: Sessions,
) -> None:
    started, ticket, card = await ask_staff(sessions, [*START, *FAQ, *COMPLAINT, *ASK_HUMAN])
    assert started == [
        SlotSet("human_consent", None),
        SlotSet("human_question", None),
        SlotSet("human_context", None),
        SlotSet("pending_question", None),
    ]
    assert (ticket.kind, ticket.content, ticket.confidential) == ("cau_hoi", QUESTION, False)
    for secret in (COMPLAINT_WORDS, NAME, PHONE, "tố cáo"):
        assert secret not in card
    assert QUESTION in card and ticket.code in card


async def test_form_turns_are_left_out_and_the_rest_is_kept(sessions: Sessions) -> None:
    started, ticket, card = await ask_staff(sessions, [*START, *FAQ, *FEEDBACK_FORM, *ASK_HUMAN])
    context = (
        "Người dân: lam the nao de dang ky vneid\n"
        "Trợ lý: Để đăng ký tài khoản VNeID mức 2, Anh/Chị mang căn cước tới Công an xã.\n"
        "Trợ lý: Đã hủy. Nội dung chưa được gửi."
    )
    assert started == [
        SlotSet("human_consent", None),
        SlotSet("human_question", None),
        SlotSet("human_context", context),
        SlotSet("pending_question", None),
    ]
    assert ticket.content == f"{QUESTION}\n\n{CONTEXT_HEADER}\n{context}"
    for secret in ("nhà số 12", NAME, PHONE):
        assert secret not in ticket.content and secret not in card
