"""Custom actions with a real rasa-sdk Tracker and CollectingDispatcher, on real databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.fallback import ActionClarify, clarification_buttons
from actions.faq import ActionAnswerFaq, ActionRecordFaqVote, faq_topic_of
from actions.feedback import (
    AskFeedbackCategory,
    AskFeedbackVillage,
    SubmitFeedback,
    ValidateFeedbackForm,
)
from actions.form_control import CancelForm
from actions.status import CheckTicketStatus
from actions.ticket_forms import ALL_FORM_SLOTS, reset_slots
from db.models import FaqVote, Ticket, UnansweredQuestion
from laikhe.commune import CommuneConfig
from tests.replies import said, text_of

ROOT = Path(__file__).resolve().parents[2]
Sessions = async_sessionmaker[AsyncSession]
RESET = reset_slots("feedback_form")


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    faq = yaml.safe_load((ROOT / "nlu" / "faq_responses.yml").read_text(encoding="utf-8"))
    data["responses"].update(faq["responses"])
    return data


pytestmark = pytest.mark.usefixtures("action_runtime")


def tracker(
    *,
    sender_id: str = "1001",
    slots: dict[str, Any] | None = None,
    latest_message: dict[str, Any] | None = None,
    active_loop: dict[str, Any] | None = None,
) -> Tracker:
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest_message or {"text": "", "intent": {}, "entities": []},
        events=[{"event": "user", "text": "x", "input_channel": "telegram"}],
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name="action_listen",
    )


FILLED = {
    "feedback_consent": True,
    "feedback_kind": "gop_y",
    "feedback_category": "dich_vu_cong",
    "feedback_content": "Cổng dịch vụ công của xã hay bị lỗi khi nộp hồ sơ",
    "feedback_village": "THON-MAU-2",
    "feedback_confirm": "send",
}


async def test_submit_creates_a_routed_ticket_and_answers_with_code(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    events = await SubmitFeedback().run(dispatcher, tracker(slots=FILLED), domain)
    assert events == RESET
    async with sessions() as session:
        ticket = (await session.scalars(select(Ticket))).one()
    assert ticket.code == "LK-2026-000001" or ticket.code.startswith("LK-")
    assert ticket.kind == "gop_y" and ticket.channel == "telegram" and ticket.sender_id == "1001"
    assert ticket.content == FILLED["feedback_content"]
    [message] = dispatcher.messages
    assert ticket.code in text_of(message)
    assert "Văn phòng HĐND và UBND xã" in text_of(message)  # dich_vu_cong -> VP


async def test_submit_without_confirmation_creates_nothing(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    events = await SubmitFeedback().run(
        dispatcher, tracker(slots={**FILLED, "feedback_confirm": None}), domain
    )
    assert events == RESET
    assert dispatcher.messages[0]["response"] == "utter_form_cancelled"
    async with sessions() as session:
        assert (await session.scalars(select(Ticket))).all() == []


async def test_cancel_resets_every_form_slot(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    events = await CancelForm().run(dispatcher, tracker(slots=FILLED), domain)
    assert events == [*(SlotSet(s, None) for s in ALL_FORM_SLOTS), SlotSet("requested_slot", None)]
    assert dispatcher.messages[0]["response"] == "utter_form_cancelled"


async def test_category_question_lists_configured_categories_as_buttons(
    domain: dict[str, Any], commune: CommuneConfig
) -> None:
    dispatcher = CollectingDispatcher()
    assert await AskFeedbackCategory().run(dispatcher, tracker(), domain) == []
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["title"] for b in buttons] == [c.name for c in commune.categories]
    assert buttons[0]["payload"] == '/inform{"category":"dich_vu_cong"}'
    assert all(len(b["payload"].encode()) <= 64 for b in buttons)


async def test_village_question_marks_samples_and_offers_skip(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await AskFeedbackVillage().run(dispatcher, tracker(), domain)
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles[0] == "Thôn Mẫu 1 (mẫu)"
    assert titles[-1] == "Không theo thôn / bỏ qua"


async def _validate(
    slot: str, value: str, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    form_tracker = Tracker(
        sender_id="1001",
        slots={slot: value, "requested_slot": slot},
        latest_message={"text": value, "intent": {"name": "inform"}, "entities": []},
        # The form validates the slots that the engine set since the resident's message.
        events=[
            {"event": "user", "text": value, "input_channel": "telegram"},
            {"event": "slot", "name": slot, "value": value},
        ],
        paused=False,
        followup_action=None,
        active_loop={"name": "feedback_form"},
        latest_action_name="action_listen",
    )
    events = await ValidateFeedbackForm().run(dispatcher, form_tracker, domain)
    return events, dispatcher


@pytest.mark.parametrize(
    ("slot", "typed", "expected"),
    [
        ("feedback_category", "dich vu cong truc tuyen", "dich_vu_cong"),
        ("feedback_category", "Hạ tầng số", "ha_tang_so"),
        ("feedback_village", "thon mau 2", "THON-MAU-2"),
        ("feedback_village", "none", "none"),
    ],
)
async def test_typed_choices_are_understood_without_diacritics(
    slot: str, typed: str, expected: str, domain: dict[str, Any]
) -> None:
    events, dispatcher = await _validate(slot, typed, domain)
    # Nothing else is known yet, so the form goes on with its first question.
    assert events == [SlotSet(slot, expected), SlotSet("requested_slot", "feedback_consent")]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("slot", "typed"),
    [("feedback_category", "bóng đá"), ("feedback_village", "Hà Nội"), ("feedback_content", "ok")],
)
async def test_bad_choices_are_refused_politely(
    slot: str, typed: str, domain: dict[str, Any]
) -> None:
    events, dispatcher = await _validate(slot, typed, domain)
    assert events == [SlotSet(slot, None), SlotSet("requested_slot", "feedback_consent")]
    [message] = dispatcher.messages
    assert "Anh/Chị" in text_of(message)


async def test_status_for_owner_and_for_another_chat(domain: dict[str, Any]) -> None:
    await SubmitFeedback().run(CollectingDispatcher(), tracker(slots=FILLED), domain)
    owner, stranger = CollectingDispatcher(), CollectingDispatcher()
    code_slot = {"ticket_code": "lk-2026-1"}  # typed loosely: canonical form is looked up
    from datetime import datetime

    from laikhe.clock import commune_zone

    code_slot["ticket_code"] = f"lk-{datetime.now(commune_zone()).year}-1"
    events = await CheckTicketStatus().run(owner, tracker(slots=code_slot), domain)
    assert events == [SlotSet("ticket_code", None)]
    await CheckTicketStatus().run(stranger, tracker(sender_id="999", slots=code_slot), domain)
    assert FILLED["feedback_content"] in text_of(owner.messages[0])
    assert "Mới tiếp nhận" in text_of(stranger.messages[0])
    assert FILLED["feedback_content"] not in text_of(stranger.messages[0])
    assert "Văn phòng HĐND và UBND xã" in text_of(stranger.messages[0])


async def test_status_of_unknown_and_malformed_codes(domain: dict[str, Any]) -> None:
    unknown, malformed = CollectingDispatcher(), CollectingDispatcher()
    await CheckTicketStatus().run(unknown, tracker(slots={"ticket_code": "LK-2026-424242"}), domain)
    await CheckTicketStatus().run(malformed, tracker(slots={"ticket_code": "abc"}), domain)
    assert "Không tìm thấy ý kiến có mã LK-2026-424242" in text_of(unknown.messages[0])
    assert said(malformed.messages[0]) == ("utter_bad_ticket_code", {})


async def test_faq_answer_fills_local_facts_and_offers_votes(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    latest = {
        "text": "/faq",
        "intent": {"name": "faq"},
        "entities": [{"entity": "faq_topic", "value": "office_contact"}],
    }
    await ActionAnswerFaq().run(dispatcher, tracker(latest_message=latest), domain)
    answer, vote = dispatcher.messages
    assert answer["response"] == "utter_faq/office_contact"
    assert "chưa cập nhật" in answer["office_contacts"]  # nothing configured: said so
    assert [b["title"] for b in vote["buttons"]] == ["Hữu ích", "Chưa rõ"]
    assert all(len(b["payload"].encode()) <= 64 for b in vote["buttons"])


def test_faq_topic_from_the_response_selector() -> None:
    latest = {
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/ehealth_book"}}}
    }
    assert faq_topic_of(latest) == "ehealth_book"
    assert faq_topic_of({"entities": []}) is None


async def test_vote_is_recorded(sessions: Sessions, domain: dict[str, Any]) -> None:
    latest = {
        "intent": {"name": "faq_vote"},
        "entities": [
            {"entity": "vote", "value": "no"},
            {"entity": "faq_topic", "value": "vneid_register"},
        ],
    }
    dispatcher = CollectingDispatcher()
    await ActionRecordFaqVote().run(dispatcher, tracker(latest_message=latest), domain)
    async with sessions() as session:
        vote = (await session.scalars(select(FaqVote))).one()
    assert (vote.topic, vote.useful, vote.channel) == ("vneid_register", False, "telegram")
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/give_feedback"


RANKED = {
    "text": "cai vneid do sao roi",
    "intent": {"name": "nlu_fallback", "confidence": 0.4},
    "entities": [],
    "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "faq", "confidence": 0.35},
        {"name": "give_feedback", "confidence": 0.2},
        {"name": "greet", "confidence": 0.1},
    ],
    "response_selector": {
        "faq": {
            "ranking": [
                {"intent_response_key": "faq/vneid_forgot_password", "confidence": 0.6},
                {"intent_response_key": "faq/vneid_register", "confidence": 0.3},
            ]
        }
    },
}


def test_clarification_offers_the_two_likeliest_topics() -> None:
    assert clarification_buttons(RANKED) == [
        {"title": "Quên mật khẩu VNeID", "payload": '/faq{"faq_topic":"vneid_forgot_password"}'},
        {"title": "Gửi góp ý, phản ánh", "payload": "/give_feedback"},
    ]


def _fallback_tracker(previous_action: str) -> Tracker:
    return Tracker(
        sender_id="1001",
        slots={"pending_question": "câu hỏi lần trước"},
        latest_message=RANKED,
        events=[
            {"event": "user", "text": "câu hỏi lần trước", "input_channel": "telegram"},
            {"event": "action", "name": previous_action},
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": RANKED["text"], "input_channel": "telegram"},
        ],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def test_first_miss_asks_what_was_meant_and_logs_the_question(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionClarify().run(dispatcher, _fallback_tracker("utter_greet"), domain)
    assert events == [SlotSet("pending_question", RANKED["text"])]
    [message] = dispatcher.messages
    assert text_of(message).startswith("Xin lỗi, tôi chưa chắc đã hiểu đúng. Ý Anh/Chị là")
    assert [b["title"] for b in message["buttons"]][-1] == "Không phải các ý trên"
    async with sessions() as session:
        logged = (await session.scalars(select(UnansweredQuestion))).one()
    assert (logged.text, logged.channel) == (RANKED["text"], "telegram")


async def test_second_miss_offers_to_send_the_question_to_staff(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, _fallback_tracker("action_clarify"), domain)
    [message] = dispatcher.messages
    assert said(message) == ("utter_offer_staff_question", {})
    assert message["buttons"][0]["payload"] == "/request_human"
