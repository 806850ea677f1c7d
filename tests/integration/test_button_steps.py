"""Typed answers at button steps, through the real validation actions with a real rasa-sdk
Tracker on real migrated databases: the words decide, not the (often wrong) intent."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.button_steps import STEPS, ValidateDeleteDataForm
from actions.complaint import ValidateComplaintForm
from actions.feedback import AskFeedbackConfirm, ValidateFeedbackForm
from actions.request_human import ValidateHumanRequestForm
from actions.ticket_forms import EDIT_MENU, SEND
from db.models import ConsentRecord
from tests.integration.form_helpers import form_tracker, run
from tests.replies import text_of

Sessions = async_sessionmaker[AsyncSession]
CHAT = "3001"

pytestmark = pytest.mark.usefixtures("action_runtime")


def typed(
    form: str,
    text: str,
    *,
    intent: str,
    slots: dict[str, Any],
    changed: dict[str, Any] | None = None,
) -> Tracker:
    """The tracker the engine sends after the resident typed ``text`` at a form step;
    ``changed`` are the slots the engine's own mappings extracted from it."""
    return form_tracker(
        form, slots=slots, changed=changed, intent=intent, text=text, sender_id=CHAT
    )


async def consents(sessions: Sessions) -> list[bool]:
    async with sessions() as session:
        return [row.granted for row in await session.scalars(select(ConsentRecord))]


KNOWN = {
    "feedback_consent": True,
    "feedback_kind": "gop_y",
    "feedback_category": "ha_tang_so",
    "feedback_content": "Đường dây internet ở đầu thôn bị đứt hai ngày nay",
    "feedback_duplicate_code": "none",
}
# Every field answered: the «Gửi / Sửa / Hủy» summary is the question on screen.
AT_SUMMARY = {
    **KNOWN,
    "feedback_village": "THON-MAU-1",
    "feedback_photos_done": "none",
    "requested_slot": "feedback_confirm",
}


async def test_yes_typed_in_a_sentence_records_the_complaint_whatever_the_intent(
    domain: dict[str, Any],
) -> None:
    # The review's case: NLU called it out_of_scope, so the out-of-scope answer came.
    tracker = typed(
        "complaint_form",
        "vâng, ghi nhận giúp em",
        intent="out_of_scope",
        slots={"requested_slot": "complaint_record"},
    )
    events, messages = await run(ValidateComplaintForm(), tracker, domain)
    # Every question applies now, so the engine picks the next one (consent).
    assert events == [SlotSet("complaint_record", "yes")]
    assert messages == []


async def test_typed_consent_is_stored_and_a_typed_no_beats_a_wrong_affirm(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    yes = typed(
        "feedback_form", "dạ vâng ạ", intent="greet", slots={"requested_slot": "feedback_consent"}
    )
    events, _ = await run(ValidateFeedbackForm(), yes, domain)
    assert events == [
        SlotSet("feedback_consent", True),
        SlotSet("requested_slot", "feedback_kind"),
    ]
    no = typed(
        "feedback_form",
        "ko đồng ý",
        intent="affirm",
        slots={"requested_slot": "feedback_consent"},
    )
    events, messages = await run(ValidateFeedbackForm(), no, domain)
    assert events == [
        SlotSet("feedback_consent", False),
        SlotSet("feedback_kind", "gop_y"),
        SlotSet("requested_slot", "feedback_category"),
    ]
    assert messages[0]["response"] == "utter_feedback_anonymous"
    assert "ẩn danh" in text_of(messages[0])
    assert await consents(sessions) == [True, False]


async def test_cancel_and_questions_are_left_to_the_rules(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    for text, intent in (("thôi", "cancel"), ("có mất phí không", "faq"), ("/affirm", "affirm")):
        tracker = typed(
            "feedback_form", text, intent=intent, slots={"requested_slot": "feedback_consent"}
        )
        events, _ = await run(ValidateFeedbackForm(), tracker, domain)
        if intent == "affirm":  # a pressed button: the intent decides, as before
            assert events[0] == SlotSet("feedback_consent", True)
        else:
            assert events == [SlotSet("requested_slot", "feedback_consent")], text
    assert await consents(sessions) == [True]


async def test_typed_edit_at_the_summary_opens_the_field_list(domain: dict[str, Any]) -> None:
    slots = AT_SUMMARY
    edit = typed("feedback_form", "sửa lại giúp em", intent="out_of_scope", slots=slots)
    events, _ = await run(ValidateFeedbackForm(), edit, domain)
    assert events == [
        SlotSet("feedback_confirm", EDIT_MENU),
        SlotSet("feedback_confirm", None),
        SlotSet("requested_slot", "feedback_confirm"),
    ]
    # The question that follows sees the answer, as after a pressed «Sửa».
    after = Tracker(
        sender_id=CHAT,
        slots={**slots, "feedback_confirm": None},
        latest_message=edit.latest_message,
        events=[*edit.events, *events],
        paused=False,
        followup_action=None,
        active_loop={"name": "feedback_form"},
        latest_action_name="feedback_form",
    )
    dispatcher = CollectingDispatcher()
    await AskFeedbackConfirm().run(dispatcher, after, domain)
    assert dispatcher.messages[0]["response"] == "utter_which_field"
    assert text_of(dispatcher.messages[0]) == "Anh/Chị muốn sửa mục nào?"
    send = typed("feedback_form", "ok gửi luôn", intent="out_of_scope", slots=slots)
    events, _ = await run(ValidateFeedbackForm(), send, domain)
    assert events == [SlotSet("feedback_confirm", SEND), SlotSet("requested_slot", None)]


async def test_village_typed_with_place_words_and_without_diacritics(
    domain: dict[str, Any],
) -> None:
    for text in ("ở thôn Mẫu 1", "o thon mau 1"):
        tracker = typed(
            "feedback_form",
            text,
            intent="out_of_scope",
            slots={**KNOWN, "requested_slot": "feedback_village"},
            changed={"feedback_village": text},
        )
        events, messages = await run(ValidateFeedbackForm(), tracker, domain)
        assert events == [
            SlotSet("feedback_village", "THON-MAU-1"),
            SlotSet("feedback_duplicate_code", "none"),
            SlotSet("feedback_duplicate", None),
            SlotSet("requested_slot", "feedback_confirm"),
        ], text
        assert messages == []


async def test_skip_words_skip_even_when_read_as_cancel(domain: dict[str, Any]) -> None:
    # "bỏ qua" is a cancel in the NLU data; at a step with a skip button it skips.
    slots = {
        **KNOWN,
        "feedback_village": "THON-MAU-1",
        "feedback_add_photos": True,  # «Sửa» -> «Ảnh» at the summary
        "requested_slot": "feedback_photos_done",
    }
    for text, intent in (("ko có ảnh ạ", "deny"), ("bỏ qua", "cancel"), ("bo qua nhe", "cancel")):
        tracker = typed("feedback_form", text, intent=intent, slots=slots)
        events, _ = await run(ValidateFeedbackForm(), tracker, domain)
        assert events == [
            SlotSet("feedback_photos_done", "none"),
            SlotSet("requested_slot", "feedback_confirm"),
        ], text
    village = typed(
        "feedback_form",
        "bỏ qua",
        intent="cancel",
        slots={**KNOWN, "requested_slot": "feedback_village"},
    )
    events, _ = await run(ValidateFeedbackForm(), village, domain)
    assert events[0] == SlotSet("feedback_village", "none")
    # «thôi» still cancels the whole form: the rules act on the rejected step.
    stop = typed("feedback_form", "thôi", intent="cancel", slots=slots)
    events, _ = await run(ValidateFeedbackForm(), stop, domain)
    assert events == [SlotSet("requested_slot", "feedback_photos_done")]


async def test_deleting_and_asking_staff_understand_typed_answers(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    delete = typed(
        "delete_data_form",
        "vâng, xóa giúp em",
        intent="out_of_scope",
        slots={"requested_slot": "delete_confirm"},
    )
    events, _ = await run(ValidateDeleteDataForm(), delete, domain)
    assert events == [SlotSet("delete_confirm", True)]
    keep = typed(
        "delete_data_form",
        "không xóa",
        intent="delete_my_data",
        slots={"requested_slot": "delete_confirm"},
    )
    events, _ = await run(ValidateDeleteDataForm(), keep, domain)
    assert events[0] == SlotSet("delete_confirm", False)
    human = typed(
        "human_request_form",
        "ok em đồng ý",
        intent="request_human",
        slots={"requested_slot": "human_consent", "pending_question": "Cho hỏi lịch tiêm"},
    )
    events, _ = await run(ValidateHumanRequestForm(), human, domain)
    assert events == [SlotSet("human_consent", True), SlotSet("requested_slot", None)]
    assert await consents(sessions) == [True]


def test_every_step_slot_is_a_slot_of_the_domain(domain: dict[str, Any]) -> None:
    assert set(STEPS) <= set(domain["slots"])
    assert "validate_delete_data_form" in domain["actions"]


async def test_a_field_named_at_the_summary_is_asked_again(domain: dict[str, Any]) -> None:
    slots = AT_SUMMARY
    for text in ("sửa thôn", "thon"):
        tracker = typed("feedback_form", text, intent="out_of_scope", slots=slots)
        events, _ = await run(ValidateFeedbackForm(), tracker, domain)
        assert events == [
            SlotSet("feedback_confirm", "feedback_village"),
            SlotSet("feedback_confirm", None),
            SlotSet("feedback_village", None),
            SlotSet("requested_slot", "feedback_village"),
        ], text
    # Not a field of this opinion (an informal one has no phone): nothing is emptied.
    phone = typed("feedback_form", "sửa số điện thoại", intent="deny", slots=slots)
    events, _ = await run(ValidateFeedbackForm(), phone, domain)
    assert events == [
        SlotSet("feedback_confirm", "contact_phone"),
        SlotSet("feedback_confirm", None),
        SlotSet("requested_slot", "feedback_confirm"),
    ]


def on_screen(tracker: Tracker, *payloads: str, earlier: tuple[str, ...] = ()) -> Tracker:
    """The same tracker with the bot's question (its buttons) before the resident's
    message, and an older question before an older message."""
    question = {
        "event": "bot",
        "text": "?",
        "data": {"buttons": [{"title": p, "payload": p} for p in payloads]},
    }
    older = [
        {
            "event": "bot",
            "text": "?",
            "data": {"buttons": [{"title": p, "payload": p} for p in earlier]},
        },
        {"event": "user", "text": "trước đó"},
    ]
    tracker.events[:0] = [*(older if earlier else []), question, {"event": "action"}]
    return tracker


def typed_at_kind(text: str, *payloads: str, earlier: tuple[str, ...] = ()) -> Tracker:
    """``text`` typed at the kind question, whose buttons carry ``payloads``."""
    slots = {"feedback_consent": True, "requested_slot": "feedback_kind"}
    at_kind = typed(
        "feedback_form", text, intent="out_of_scope", slots=slots, changed={"feedback_kind": text}
    )
    return on_screen(at_kind, *payloads, earlier=earlier)


@pytest.mark.parametrize("text", ["2", "số 2", "chon 2"])
async def test_a_typed_number_picks_that_button(domain: dict[str, Any], text: str) -> None:
    tracker = typed_at_kind(text, '/inform{"kind":"gop_y"}', '/inform{"kind":"phan_anh"}')
    events, messages = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [
        SlotSet("feedback_kind", "phan_anh"),
        SlotSet("requested_slot", "feedback_category"),
    ]
    assert messages == []


async def test_a_number_no_button_has_or_an_old_question_picks_nothing(
    domain: dict[str, Any],
) -> None:
    for text, buttons, earlier in (
        ("3", ('/inform{"kind":"gop_y"}', '/inform{"kind":"phan_anh"}'), ()),
        ("1", (), ('/inform{"kind":"gop_y"}',)),  # buttons of a question already answered
    ):
        tracker = typed_at_kind(text, *buttons, earlier=earlier)
        events, _ = await run(ValidateFeedbackForm(), tracker, domain)
        assert SlotSet("feedback_kind", None) in events, text


async def test_a_typed_number_answers_a_yes_no_step(domain: dict[str, Any]) -> None:
    slots = {**KNOWN, "feedback_village": "THON-MAU-1", "requested_slot": "feedback_confirm"}
    tracker = on_screen(
        typed("feedback_form", "1", intent="out_of_scope", slots=slots),
        "/affirm",
        '/inform{"edit":"menu"}',
        "/cancel",
    )
    events, _ = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [SlotSet("feedback_confirm", "send"), SlotSet("requested_slot", None)]
