"""The kind and field the engine read in the first message (issue #22): proposed in one
step the resident confirms or corrects, never applied silently; an FAQ question kept so
an offer to send it starts the form with it filled in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.faq import ActionAnswerFaq, ActionRecordFaqVote
from actions.feedback import (
    AskFeedbackCategory,
    AskFeedbackConfirm,
    AskFeedbackReading,
    ValidateFeedbackForm,
)
from tests.integration.form_helpers import form_tracker, run
from tests.replies import text_of, values_of

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("action_runtime")

REPORT = "ho so toi nop tren dich vu cong qua han 2 tuan roi ma ko thay ai tra loi"
READING = {
    "kinds": {"phan_anh": 0.9, "kien_nghi": 0.05, "gop_y": 0.0, "cau_hoi": 0.05, "khac": 0.0},
    "fields": [
        {"name": "dich_vu_cong", "confidence": 0.8},
        {"name": "vneid", "confidence": 0.15},
        {"name": "khac", "confidence": 0.05},
    ],
    "offer": False,
    "redirected_from": "faq",
}
PROPOSAL = {"kind": "phan_anh", "category": "dich_vu_cong", "likely": ["dich_vu_cong", "vneid"]}


# What is known when the reading step is asked, and that step asked.
READ = {"feedback_consent": True, "feedback_content": REPORT, "feedback_proposal": PROPOSAL}
AT_READING = {**READ, "requested_slot": "feedback_reading"}


def reading_answer(value: str, *, text: str = "/inform", intent: str = "inform") -> Tracker:
    """The answer at the reading step; `value` is what the engine mapped from it."""
    return form_tracker(
        slots=AT_READING, text=text, intent=intent, changed={"feedback_reading": value}
    )


async def test_the_first_message_proposes_kind_and_field_and_consent_comes_first(
    domain: dict[str, Any],
) -> None:
    start = form_tracker(slots={}, text=REPORT, intent="give_feedback", opinion=READING)
    events, messages = await run(ValidateFeedbackForm(), start, domain)
    assert events == [
        SlotSet("feedback_proposal", PROPOSAL),
        SlotSet("feedback_content", REPORT),
        SlotSet("requested_slot", "feedback_consent"),
    ]
    assert messages == []


async def test_after_consent_the_reading_is_shown_to_confirm(domain: dict[str, Any]) -> None:
    consent = form_tracker(
        slots={**READ, "requested_slot": "feedback_consent"}, text="/affirm", intent="affirm"
    )
    events, _ = await run(ValidateFeedbackForm(), consent, domain)
    assert events[-1] == SlotSet("requested_slot", "feedback_reading")
    _, messages = await run(AskFeedbackReading(), form_tracker(slots=READ), domain)
    assert messages[0]["response"] == "utter_ask_feedback_reading"
    assert messages[0]["reading"] == ("• Loại: Phản ánh\n• Lĩnh vực: Dịch vụ công trực tuyến")


async def test_ok_applies_both_and_goes_on_to_the_village(domain: dict[str, Any]) -> None:
    events, _ = await run(ValidateFeedbackForm(), reading_answer("ok"), domain)
    assert events == [
        SlotSet("feedback_reading", "ok"),
        SlotSet("feedback_kind", "phan_anh"),
        SlotSet("feedback_category", "dich_vu_cong"),
        SlotSet("requested_slot", "feedback_village"),
    ]


async def test_a_wrong_field_is_asked_with_the_likely_fields_first(
    domain: dict[str, Any],
) -> None:
    events, _ = await run(ValidateFeedbackForm(), reading_answer("category"), domain)
    # The kind as read is kept; the field is not applied.
    assert events == [
        SlotSet("feedback_reading", "category"),
        SlotSet("feedback_kind", "phan_anh"),
        SlotSet("requested_slot", "feedback_category"),
    ]
    asked = {**AT_READING, "feedback_kind": "phan_anh", "requested_slot": "feedback_category"}
    _, messages = await run(AskFeedbackCategory(), form_tracker(slots=asked), domain)
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[:2] == ['/inform{"category":"dich_vu_cong"}', '/inform{"category":"vneid"}']
    assert len(payloads) == 8  # every configured field is still offered


@pytest.mark.parametrize(
    ("text", "kind", "category"),
    [
        ("kiến nghị", "kien_nghi", "dich_vu_cong"),  # the kind corrected by typing it
        ("vneid", "phan_anh", "vneid"),  # the field corrected by typing it
        ("dung roi", "phan_anh", "dich_vu_cong"),
    ],
)
async def test_a_typed_correction_or_yes_is_understood(
    domain: dict[str, Any], text: str, kind: str, category: str
) -> None:
    answer = reading_answer(text, text=text, intent="out_of_scope")
    events, _ = await run(ValidateFeedbackForm(), answer, domain)
    values = {e["name"]: e["value"] for e in events}
    assert (values["feedback_kind"], values["feedback_category"]) == (kind, category)
    assert values["requested_slot"] == "feedback_village"


async def test_a_no_asks_both_kind_and_field(domain: dict[str, Any]) -> None:
    answer = reading_answer("không đúng", text="không đúng", intent="deny")
    events, _ = await run(ValidateFeedbackForm(), answer, domain)
    assert events[-1] == SlotSet("requested_slot", "feedback_kind")
    assert SlotSet("feedback_reading", "none") in events


async def test_an_anonymous_opinion_is_shown_only_its_field(domain: dict[str, Any]) -> None:
    slots = {
        "feedback_consent": False,
        "feedback_kind": "gop_y",
        "feedback_content": REPORT,
        "feedback_proposal": PROPOSAL,
    }
    _, messages = await run(AskFeedbackReading(), form_tracker(slots=slots), domain)
    assert messages[0]["response"] == "utter_ask_feedback_reading_field"
    assert messages[0]["reading"] == "• Lĩnh vực: Dịch vụ công trực tuyến"


async def test_name_and_phone_typed_together_fill_both_steps(domain: dict[str, Any]) -> None:
    slots = {
        "feedback_consent": True,
        "feedback_kind": "phan_anh",
        "feedback_category": "dich_vu_cong",
        "feedback_content": REPORT,
        "feedback_village": "none",
        "feedback_duplicate_code": "none",
        "requested_slot": "contact_name",
    }
    typed = "Trần Thị Lan, sdt 0912 000 102"
    events, messages = await run(
        ValidateFeedbackForm(),
        form_tracker(
            slots=slots, text=typed, intent="out_of_scope", changed={"contact_name": typed}
        ),
        domain,
    )
    assert events == [
        SlotSet("contact_name", "Trần Thị Lan"),
        SlotSet("contact_phone", "+84912000102"),
        SlotSet("requested_slot", "feedback_confirm"),
    ]
    assert messages == []


async def test_a_photo_sent_at_the_summary_is_kept_and_the_summary_shown_again(
    domain: dict[str, Any],
) -> None:
    slots = {
        "feedback_consent": True,
        "feedback_kind": "gop_y",
        "feedback_category": "dich_vu_cong",
        "feedback_content": REPORT,
        "feedback_village": "none",
        "feedback_duplicate_code": "none",
        "requested_slot": "feedback_confirm",
    }
    photo = "AgACAgIAAxkBAAIBQ2"
    events, messages = await run(
        ValidateFeedbackForm(),
        form_tracker(
            slots=slots,
            text=f'/inform{{"photo":"{photo}"}}',
            entities=[{"entity": "photo", "value": photo}],
        ),
        domain,
    )
    assert events == [
        SlotSet("feedback_photos", [photo]),
        SlotSet("requested_slot", "feedback_confirm"),
    ]
    assert [(m["response"], values_of(m)) for m in messages] == [
        ("utter_photo_added", {"count": 1, "limit": 5})
    ]
    assert [text_of(m) for m in messages] == ["Đã nhận 1 ảnh (tối đa 5)."]
    _, shown = await run(
        AskFeedbackConfirm(), form_tracker(slots={**slots, "feedback_photos": [photo]}), domain
    )
    assert "• Ảnh: 1" in shown[0]["text"]


# --- the FAQ keeps the question for an offer to send it ----------------------------------


async def test_an_faq_answer_keeps_the_question_and_offers_when_probably_an_opinion(
    domain: dict[str, Any],
) -> None:
    question = "dang ky vneid roi ma van cho duyet thi lam sao"
    faq = yaml.safe_load((ROOT / "nlu" / "faq_responses.yml").read_text(encoding="utf-8"))
    domain = {**domain, "responses": {**domain["responses"], **faq["responses"]}}
    reading = {**READING, "offer": True, "redirected_from": None}
    asked = form_tracker(
        slots={},
        text=question,
        intent="faq",
        opinion=reading,
        form=None,
        entities=[{"entity": "faq_topic", "value": "vneid_register"}],
    )
    events, messages = await run(ActionAnswerFaq(), asked, domain)
    assert events == [SlotSet("opinion_draft", {"text": question, "opinion": reading})]
    assert messages[0]["response"] == "utter_faq/vneid_register"
    assert [b["title"] for b in messages[1]["buttons"]] == [
        "Hữu ích",
        "Chưa rõ",
        "Gửi ý kiến này tới xã",
    ]
    assert messages[1]["buttons"][2]["payload"] == '/give_feedback{"choice":"draft"}'


@pytest.mark.parametrize(
    ("action", "topic", "title"),
    [
        ("check_ticket_status", "feedback_process", "Tra cứu ý kiến đã gửi"),
        ("delete_my_data", "privacy", "Xóa dữ liệu của tôi"),
        ("request_human", "office_contact", "Gặp cán bộ"),
    ],
)
async def test_asked_how_to_do_an_action_the_answer_offers_that_action(
    domain: dict[str, Any], action: str, topic: str, title: str
) -> None:
    """«Xem tiến độ phiếu ở đâu?»: the engine answered how (explain_first); the answer
    offers the action itself, not to send the question on."""
    faq = yaml.safe_load((ROOT / "nlu" / "faq_responses.yml").read_text(encoding="utf-8"))
    domain = {**domain, "responses": {**domain["responses"], **faq["responses"]}}
    reading = {**READING, "offer": True, "redirected_from": action}
    asked = form_tracker(
        slots={},
        text="cái đó làm ở đâu",
        intent="faq",
        opinion=reading,
        form=None,
        entities=[{"entity": "faq_topic", "value": topic}],
    )
    _, messages = await run(ActionAnswerFaq(), asked, domain)
    assert messages[0]["response"] == f"utter_faq/{topic}"
    assert messages[1]["buttons"][2:] == [{"title": title, "payload": f"/{action}"}]


async def test_unclear_offers_to_send_the_question_and_the_form_starts_with_it(
    domain: dict[str, Any],
) -> None:
    question = "vneid bao cho duyet thi phai lam sao"
    reading = {**READING, "kinds": {"cau_hoi": 0.9, "phan_anh": 0.1}}
    draft = {"text": question, "opinion": reading}
    vote = form_tracker(
        slots={"opinion_draft": draft},
        text='/faq_vote{"vote":"no","faq_topic":"vneid_register"}',
        intent="faq_vote",
        entities=[
            {"entity": "vote", "value": "no"},
            {"entity": "faq_topic", "value": "vneid_register"},
        ],
        form=None,
    )
    _, messages = await run(ActionRecordFaqVote(), vote, domain)
    assert messages[0]["buttons"] == [
        {"title": "Gửi câu hỏi cho cán bộ", "payload": '/give_feedback{"choice":"question"}'}
    ]
    start = form_tracker(
        slots={"opinion_draft": draft},
        text='/give_feedback{"choice":"question"}',
        intent="give_feedback",
        entities=[{"entity": "choice", "value": "question"}],
    )
    events, _ = await run(ValidateFeedbackForm(), start, domain)
    # The resident chose to ask a question: that kind is set; the field read is proposed.
    assert events == [
        SlotSet("opinion_draft", None),
        SlotSet(
            "feedback_proposal",
            {"kind": None, "category": "dich_vu_cong", "likely": ["dich_vu_cong", "vneid"]},
        ),
        SlotSet("feedback_content", question),
        SlotSet("feedback_kind", "cau_hoi"),
        SlotSet("requested_slot", "feedback_consent"),
    ]


async def test_an_opinion_sent_on_from_an_faq_answer_is_read_as_an_opinion(
    domain: dict[str, Any],
) -> None:
    question = "dang ky dinh danh 2 thang roi van cho duyet"
    draft = {"text": question, "opinion": {**READING, "kinds": {"cau_hoi": 0.6, "phan_anh": 0.4}}}
    start = form_tracker(
        slots={"opinion_draft": draft},
        text='/give_feedback{"choice":"draft"}',
        intent="give_feedback",
        entities=[{"entity": "choice", "value": "draft"}],
    )
    events, _ = await run(ValidateFeedbackForm(), start, domain)
    assert events[:2] == [SlotSet("opinion_draft", None), SlotSet("feedback_proposal", PROPOSAL)]


async def test_a_plain_start_button_does_not_pick_up_an_old_question(
    domain: dict[str, Any],
) -> None:
    draft = {"text": "vneid bao cho duyet thi phai lam sao", "opinion": READING}
    start = form_tracker(
        slots={"opinion_draft": draft}, text="/give_feedback", intent="give_feedback"
    )
    events, _ = await run(ValidateFeedbackForm(), start, domain)
    assert events == [SlotSet("requested_slot", "feedback_consent")]
