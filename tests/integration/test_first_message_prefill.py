"""A form started by a message that already says the matter (issue #22): the content,
village, name and phone it carries are filled, so only what is missing is asked; they
are kept only in slots until consent, and refusing consent clears the name and phone."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.business import ValidateBusinessForm
from actions.feedback import AskFeedbackConfirm, ValidateFeedbackForm
from db.models import ConsentRecord
from tests.integration.form_helpers import form_tracker, run
from tests.integration.test_ticket_forms import Sessions, all_tickets
from tests.replies import said, text_of

pytestmark = pytest.mark.usefixtures("action_runtime")

ONE_MESSAGE = (
    "toi muon phan anh duong day internet o thon mau 1 hay bi mat mang, "
    "toi la Nguyen Van Binh sdt 0912000123"
)
CONTENT = "toi muon phan anh duong day internet o thon mau 1 hay bi mat mang"
# The kind the message names («phản ánh»), shown to confirm; no field was read (no engine
# reading in these trackers).
NAMED_KIND = SlotSet("feedback_proposal", {"kind": "phan_anh", "category": None, "likely": []})
PREFILLED = [
    SlotSet("feedback_content", CONTENT),
    SlotSet("feedback_village", "THON-MAU-1"),
    SlotSet("contact_name", "Nguyen Van Binh"),
    SlotSet("contact_phone", "+84912000123"),
]


async def test_a_one_message_report_fills_content_village_and_contact(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    start = form_tracker("feedback_form", slots={}, intent="give_feedback", text=ONE_MESSAGE)
    events, messages = await run(ValidateFeedbackForm(), start, domain)
    # Consent is still the first question; nothing is stored yet.
    assert events == [NAMED_KIND, *PREFILLED, SlotSet("requested_slot", "feedback_consent")]
    assert messages == []
    assert await all_tickets(sessions) == []


async def test_after_kind_and_field_the_summary_is_next(domain: dict[str, Any]) -> None:
    known = {slot["name"]: slot["value"] for slot in PREFILLED}
    slots = {**known, "feedback_consent": True, "feedback_kind": "phan_anh"}
    field = form_tracker(
        "feedback_form",
        slots={**slots, "requested_slot": "feedback_category"},
        changed={"feedback_category": "ha_tang_so"},
    )
    events, _ = await run(ValidateFeedbackForm(), field, domain)
    # The duplicate check still runs on the pre-filled content once the field is known.
    assert events == [
        SlotSet("feedback_category", "ha_tang_so"),
        SlotSet("feedback_duplicate_code", "none"),
        SlotSet("feedback_duplicate", None),
        SlotSet("requested_slot", "feedback_confirm"),
    ]


async def test_the_summary_shows_what_was_read_from_the_first_message(
    domain: dict[str, Any],
) -> None:
    known = {slot["name"]: slot["value"] for slot in PREFILLED}
    slots = {
        **known,
        "feedback_consent": True,
        "feedback_kind": "phan_anh",
        "feedback_category": "ha_tang_so",
        "feedback_duplicate_code": "none",
        "feedback_photos_done": "none",
        "requested_slot": "feedback_confirm",
    }
    tracker = form_tracker("feedback_form", slots=slots)
    _, messages = await run(AskFeedbackConfirm(), tracker, domain)
    text = text_of(messages[0])
    for shown in (CONTENT, "Thôn Mẫu 1", "Nguyen Van Binh", "+84912000123"):
        assert shown in text


async def test_refusing_consent_clears_the_name_and_phone_read_early(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    known = {slot["name"]: slot["value"] for slot in PREFILLED}
    tracker = form_tracker(
        "feedback_form", slots={**known, "requested_slot": "feedback_consent"}, intent="deny"
    )
    events, _ = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [
        SlotSet("feedback_consent", False),
        SlotSet("feedback_kind", "gop_y"),
        SlotSet("contact_name", None),
        SlotSet("contact_phone", None),
        SlotSet("requested_slot", "feedback_category"),
    ]
    async with sessions() as session:
        [record] = (await session.scalars(select(ConsentRecord))).all()
    assert record.granted is False  # the refusal; no name or phone anywhere


@pytest.mark.parametrize(
    ("text", "kind"), [("gửi góp ý", "gop_y"), ("tôi muốn phản ánh", "phan_anh")]
)
async def test_a_trigger_alone_fills_only_the_kind_it_names(
    domain: dict[str, Any], text: str, kind: str
) -> None:
    start = form_tracker("feedback_form", slots={}, intent="give_feedback", text=text)
    events, _ = await run(ValidateFeedbackForm(), start, domain)
    assert events == [
        SlotSet("feedback_proposal", {"kind": kind, "category": None, "likely": []}),
        SlotSet("requested_slot", "feedback_consent"),
    ]


async def test_a_start_button_fills_nothing(domain: dict[str, Any]) -> None:
    start = form_tracker("feedback_form", slots={}, intent="give_feedback", text="/give_feedback")
    events, _ = await run(ValidateFeedbackForm(), start, domain)
    assert events == [SlotSet("requested_slot", "feedback_consent")]


async def test_a_later_step_does_not_reread_its_answer_as_a_first_message(
    domain: dict[str, Any],
) -> None:
    """Only the message that starts the form is read this way: at a later step the typed
    text is that step's answer."""
    tracker = form_tracker(
        "feedback_form",
        slots={"feedback_consent": True, "requested_slot": "feedback_kind"},
        changed={"feedback_kind": "phản ánh"},
        text="phản ánh, tôi là Nguyễn Văn Bình 0912000123",
    )
    events, _ = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [
        SlotSet("feedback_kind", "phan_anh"),
        SlotSet("requested_slot", "feedback_category"),
    ]


async def test_a_business_proposal_keeps_its_text_and_contact(domain: dict[str, Any]) -> None:
    text = (
        "doanh nghiệp chúng tôi đề nghị xã hỗ trợ thủ tục cấp phép xây nhà xưởng, "
        "tôi là Trần Văn Nam, đt 0987654321"
    )
    start = form_tracker("business_form", slots={}, intent="business_proposal", text=text)
    events, _ = await run(ValidateBusinessForm(), start, domain)
    assert events == [
        SlotSet(
            "business_proposal",
            "doanh nghiệp chúng tôi đề nghị xã hỗ trợ thủ tục cấp phép xây nhà xưởng",
        ),
        SlotSet("contact_name", "Trần Văn Nam"),
        SlotSet("business_contact", "+84987654321"),
    ]  # the engine then asks the first missing slot (consent): the domain's order


async def test_detail_typed_at_a_button_step_is_added_to_the_content(
    domain: dict[str, Any],
) -> None:
    known = {slot["name"]: slot["value"] for slot in PREFILLED}
    slots = {**known, "feedback_consent": True, "feedback_kind": "phan_anh"}
    detail = "mat tu hom thu hai, ca xom 3 deu bi nhu vay"
    tracker = form_tracker(
        "feedback_form",
        slots={**slots, "requested_slot": "feedback_category"},
        changed={"feedback_category": detail},
        intent="out_of_scope",
        text=detail,
    )
    events, messages = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [
        SlotSet("feedback_category", None),
        SlotSet("feedback_content", f"{CONTENT} {detail}"),
        SlotSet("requested_slot", "feedback_category"),
    ]
    assert [said(m) for m in messages] == [("utter_detail_added", {})]


async def test_a_short_wrong_answer_is_still_asked_again_without_touching_the_content(
    domain: dict[str, Any],
) -> None:
    known = {slot["name"]: slot["value"] for slot in PREFILLED}
    slots = {**known, "feedback_consent": True, "feedback_kind": "phan_anh"}
    tracker = form_tracker(
        "feedback_form",
        slots={**slots, "requested_slot": "feedback_category"},
        changed={"feedback_category": "cái kia"},
        text="cái kia",
    )
    events, messages = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [
        SlotSet("feedback_category", None),
        SlotSet("requested_slot", "feedback_category"),
    ]
    assert [said(m) for m in messages] != [("utter_detail_added", {})]


async def test_a_kind_that_needs_no_contact_clears_the_name_and_phone_read_early(
    domain: dict[str, Any],
) -> None:
    """Only what the ticket needs is kept: a góp ý or a câu hỏi has no contact step."""
    known = {slot["name"]: slot["value"] for slot in PREFILLED}
    tracker = form_tracker(
        "feedback_form",
        slots={**known, "feedback_consent": True, "requested_slot": "feedback_kind"},
        changed={"feedback_kind": "gop_y"},
    )
    events, _ = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [
        SlotSet("feedback_kind", "gop_y"),
        SlotSet("contact_name", None),
        SlotSet("contact_phone", None),
        SlotSet("requested_slot", "feedback_category"),
    ]


async def test_with_a_consent_on_file_the_first_message_still_fills_the_contact(
    domain: dict[str, Any],
) -> None:
    agree = form_tracker(
        "feedback_form", slots={"requested_slot": "feedback_consent"}, intent="affirm"
    )
    await run(ValidateFeedbackForm(), agree, domain)
    start = form_tracker("feedback_form", slots={}, intent="give_feedback", text=ONE_MESSAGE)
    events, _ = await run(ValidateFeedbackForm(), start, domain)
    # The named kind is shown to confirm rather than asked.
    assert events == [
        NAMED_KIND,
        SlotSet("feedback_consent", True),
        *PREFILLED,
        SlotSet("requested_slot", "feedback_reading"),
    ]
