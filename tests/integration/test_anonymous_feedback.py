"""An anonymous góp ý leaves nothing that names the chat: real Tracker and dispatcher,
real migrated databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.fallback import log_unanswered
from actions.feedback import SubmitFeedback, ValidateFeedbackForm
from actions.form_control import UnexpectedInput
from actions.privacy import ERASE_CONVERSATION_SIGNAL
from actions.ticket_forms import reset_slots
from db.models import Base, ConsentRecord, OutboxMessage, Ticket
from tests.integration import form_helpers
from tests.integration.staff_helpers import Sessions, configure_groups
from tests.replies import said, text_of

pytestmark = pytest.mark.usefixtures("action_runtime")

CHAT = "7201"
VHXH_GROUP = -100_200_4
CONTENT = "Nên mở lớp hướng dẫn dùng điện thoại thông minh cho người cao tuổi vào buổi tối"
# Every question of an anonymous góp ý answered.
ANONYMOUS = {
    "feedback_consent": False,
    "feedback_kind": "gop_y",
    "feedback_category": "ky_nang_so",
    "feedback_content": CONTENT,
    "feedback_village": "none",
    "feedback_duplicate_code": "none",
}


def form_tracker(slots: dict[str, Any], intent: str = "inform", **latest: Any) -> Tracker:
    return form_helpers.form_tracker(slots=slots, intent=intent, sender_id=CHAT, **latest)


async def every_value(sessions: Sessions) -> list[tuple[str, str, Any]]:
    """(table, column, value) for every cell of every table the migrations made."""
    cells: list[tuple[str, str, Any]] = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                cells.extend((table.name, column, value) for column, value in row.items())
    return cells


async def test_an_anonymous_suggestion_leaves_no_row_holding_the_chat_id(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    await configure_groups(sessions, {"VHXH": VHXH_GROUP})
    # A question the assistant did not understand earlier in the same chat.
    await log_unanswered("cho hoi lop hoc dien thoai o dau", "telegram")

    dispatcher = CollectingDispatcher()
    refused = await ValidateFeedbackForm().run(
        dispatcher, form_tracker({"requested_slot": "feedback_consent"}, intent="deny"), domain
    )
    assert refused[:2] == [SlotSet("feedback_consent", False), SlotSet("feedback_kind", "gop_y")]
    slots = {**ANONYMOUS, "feedback_confirm": "send"}
    dispatcher = CollectingDispatcher()
    events = await SubmitFeedback().run(dispatcher, form_tracker(slots), domain)
    assert events == reset_slots("feedback_form")

    # The reply, then the signal on which the bot erases the engine's conversation.
    confirmation, signal = dispatcher.messages
    assert "không trả lời riêng" in text_of(confirmation)
    assert signal["custom"] == ERASE_CONVERSATION_SIGNAL
    async with sessions() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        [refusal] = (await session.scalars(select(ConsentRecord))).all()
        [card] = (await session.scalars(select(OutboxMessage))).all()
    assert ticket.anonymous and ticket.content == CONTENT
    assert (refusal.granted, refusal.sender_id) == (False, None)
    assert card.chat_id == VHXH_GROUP and CONTENT in (card.text or "")
    holding = [
        (table, column)
        for table, column, value in await every_value(sessions)
        if value in (CHAT, int(CHAT))
    ]
    assert holding == []


async def test_a_named_suggestion_does_not_erase_the_conversation(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    slots = {
        "feedback_consent": True,
        "feedback_kind": "gop_y",
        "feedback_category": "ky_nang_so",
        "feedback_content": CONTENT,
        "feedback_village": "none",
        "feedback_duplicate_code": "none",
        "feedback_photos_done": "none",
        "feedback_confirm": "send",
    }
    dispatcher = CollectingDispatcher()
    await SubmitFeedback().run(dispatcher, form_tracker(slots), domain)
    [confirmation] = dispatcher.messages
    assert "custom" not in confirmation or not confirmation["custom"]


PHOTO = "AgACAgIAAxkBAAIBQ2"


@pytest.mark.parametrize(
    ("slots", "response"),
    [
        ({**ANONYMOUS, "requested_slot": "feedback_confirm"}, "utter_anonymous_no_photos"),
        # Sent before the consent question is answered.
        ({"requested_slot": "feedback_consent"}, "utter_photo_not_expected"),
    ],
)
async def test_a_photo_without_consent_is_not_kept_and_the_resident_is_told_why(
    domain: dict[str, Any], slots: dict[str, Any], response: str
) -> None:
    photo = form_tracker(
        slots, text=f'/inform{{"photo":"{PHOTO}"}}', entities=[{"entity": "photo", "value": PHOTO}]
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateFeedbackForm().run(dispatcher, photo, domain)
    # Nothing kept: the same question is asked again.
    assert events == [SlotSet("requested_slot", slots["requested_slot"])]
    assert [said(m) for m in dispatcher.messages] == [(response, {})]
    if slots.get("feedback_consent") is False:
        assert text_of(dispatcher.messages[0]) == (
            "Góp ý ẩn danh không kèm ảnh (ảnh có thể làm lộ người gửi), nên ảnh này không được "
            "gửi tới xã. Anh/Chị tiếp tục với câu hỏi bên dưới giúp."
        )
    # The engine takes a step that sets nothing for an unexpected input: its rule runs
    # this action, then the form validates the message again and says the reply above.
    dispatcher = CollectingDispatcher()
    assert await UnexpectedInput().run(dispatcher, photo, domain) == []
    assert dispatcher.messages == []
