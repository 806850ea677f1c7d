"""The ticket forms' actions with a real rasa-sdk Tracker and CollectingDispatcher, on real
migrated databases (SQLite and PostgreSQL): consent, kinds, photos, «Sửa», duplicates,
business proposals, misinformation reports and complaints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from actions.business import SubmitBusiness, ValidateBusinessForm
from actions.complaint import SubmitComplaint, ValidateComplaintForm, complaint_slots
from actions.feedback import (
    AskFeedbackConfirm,
    SubmitFeedback,
    ValidateFeedbackForm,
    feedback_slots,
)
from actions.misinformation import SubmitMisinformation
from actions.runtime import Runtime, set_runtime
from actions.ticket_forms import reset_slots
from db.models import ConsentRecord, Ticket
from db.session import sessionmaker_for
from laikhe.commune import CommuneConfig
from services.consent import CONSENT_NOTICE_VERSION, PURPOSE_FEEDBACK
from tests.integration.form_helpers import CHAT, form_tracker, run
from tests.replies import said, text_of

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.usefixtures("action_runtime")


async def all_tickets(sessions: Sessions) -> list[Ticket]:
    async with sessions() as session:
        query = select(Ticket).options(
            selectinload(Ticket.office), selectinload(Ticket.attachments)
        )
        return list((await session.scalars(query.order_by(Ticket.id))).all())


# --- which questions apply ---------------------------------------------------------------


BASE = ["feedback_consent", "feedback_kind", "feedback_category", "feedback_content"]
BASE.append("feedback_village")


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ({}, [*BASE, "feedback_confirm"]),
        ({"feedback_consent": False}, [*BASE, "feedback_confirm"]),
        # Photos are offered at the summary; the step is asked after «Sửa» -> «Ảnh».
        (
            {"feedback_consent": True, "feedback_kind": "gop_y"},
            [*BASE, "feedback_confirm"],
        ),
        (
            {"feedback_consent": True, "feedback_kind": "gop_y", "feedback_add_photos": True},
            [*BASE, "feedback_photos_done", "feedback_confirm"],
        ),
        (
            {"feedback_consent": True, "feedback_kind": "phan_anh"},
            [*BASE, "contact_name", "contact_phone", "feedback_confirm"],
        ),
        # A kind and field read from the first message: one step shows them.
        (
            {"feedback_proposal": {"kind": "phan_anh", "category": None, "likely": []}},
            [BASE[0], "feedback_reading", *BASE[1:], "feedback_confirm"],
        ),
        (
            {
                "feedback_consent": False,
                "feedback_kind": "gop_y",
                "feedback_proposal": {"kind": "phan_anh", "category": None, "likely": []},
            },
            [*BASE, "feedback_confirm"],
        ),
        (
            {"feedback_duplicate_code": "LK-2026-000001", "feedback_duplicate": "follow"},
            [*BASE, "feedback_duplicate"],
        ),
    ],
)
def test_feedback_asks_only_what_applies(slots: dict[str, Any], expected: list[str]) -> None:
    assert feedback_slots(slots) == expected


def test_complaint_stops_early_without_recording_or_consent() -> None:
    assert complaint_slots({"complaint_record": "no"}) == ["complaint_record"]
    assert complaint_slots({"complaint_record": "yes", "complaint_consent": False}) == [
        "complaint_record",
        "complaint_consent",
    ]
    assert complaint_slots({"complaint_record": "yes"})[-1] == "complaint_confirm"


# --- consent -----------------------------------------------------------------------------


async def consent_rows(sessions: Sessions) -> list[ConsentRecord]:
    async with sessions() as session:
        return list((await session.scalars(select(ConsentRecord))).all())


async def test_agreeing_stores_a_consent_record_and_asks_the_kind(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    tracker = form_tracker(
        "feedback_form", slots={"requested_slot": "feedback_consent"}, intent="affirm"
    )
    events, messages = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [
        SlotSet("feedback_consent", True),
        SlotSet("requested_slot", "feedback_kind"),
    ]
    assert messages == []
    [record] = await consent_rows(sessions)
    assert (record.sender_id, record.channel, record.purpose) == (
        CHAT,
        "telegram",
        PURPOSE_FEEDBACK,
    )
    assert record.granted and record.notice_version == CONSENT_NOTICE_VERSION


async def test_refusing_allows_only_an_anonymous_suggestion(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    tracker = form_tracker(
        "feedback_form", slots={"requested_slot": "feedback_consent"}, intent="deny"
    )
    events, messages = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [
        SlotSet("feedback_consent", False),
        SlotSet("feedback_kind", "gop_y"),
        SlotSet("requested_slot", "feedback_category"),
    ]
    assert "ẩn danh" in text_of(messages[0])
    [record] = await consent_rows(sessions)
    assert record.granted is False


async def test_a_consent_on_file_is_not_asked_again(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    agree = form_tracker(
        "feedback_form", slots={"requested_slot": "feedback_consent"}, intent="affirm"
    )
    await run(ValidateFeedbackForm(), agree, domain)
    # A new form in the same chat: at its start no question has been asked yet.
    start = form_tracker("feedback_form", slots={}, intent="give_feedback")
    events, _ = await run(ValidateFeedbackForm(), start, domain)
    assert events == [SlotSet("feedback_consent", True), SlotSet("requested_slot", "feedback_kind")]
    assert len(await consent_rows(sessions)) == 1  # found on file, not recorded twice
    other_chat = form_tracker("feedback_form", slots={}, intent="give_feedback", sender_id="9")
    events, _ = await run(ValidateFeedbackForm(), other_chat, domain)
    assert events == [SlotSet("requested_slot", "feedback_consent")]


# --- photos, corrections, duplicates -----------------------------------------------------

KNOWN = {
    "feedback_consent": True,
    "feedback_kind": "phan_anh",
    "feedback_category": "ha_tang_so",
    "feedback_content": "Đường dây internet ở đầu thôn bị đứt hai ngày nay",
    "feedback_village": "THON-MAU-1",
    "feedback_duplicate_code": "none",
    "contact_name": "Nguyễn Văn An",
    "contact_phone": "+84912345678",
}


async def test_photos_are_collected_until_done(domain: dict[str, Any]) -> None:
    slots = {**KNOWN, "feedback_add_photos": True, "requested_slot": "feedback_photos_done"}
    photo = form_tracker(
        "feedback_form",
        slots=slots,
        changed={"feedback_photos_done": "AgACAgIAAxkBAAIBQ2"},
        entities=[{"entity": "photo", "value": "AgACAgIAAxkBAAIBQ2"}],
    )
    events, _ = await run(ValidateFeedbackForm(), photo, domain)
    assert events == [
        SlotSet("feedback_photos_done", None),
        SlotSet("feedback_photos", ["AgACAgIAAxkBAAIBQ2"]),
        SlotSet("requested_slot", "feedback_photos_done"),
    ]
    done = form_tracker(
        "feedback_form",
        slots={**slots, "feedback_photos": ["AgACAgIAAxkBAAIBQ2"]},
        changed={"feedback_photos_done": "xong"},
        text="xong",
    )
    events, _ = await run(ValidateFeedbackForm(), done, domain)
    assert events == [
        SlotSet("feedback_photos_done", "none"),
        SlotSet("requested_slot", "feedback_confirm"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "https://attacker.example/x.jpg",
        "http://127.0.0.1/a",
        "AgACAgIAAxkBAAIBQ2\n",
        "../../etc/passwd",
        "short",
    ],
)
async def test_a_photo_that_is_not_a_telegram_file_id_is_dropped_with_a_reply(
    domain: dict[str, Any], value: str
) -> None:
    """A typed or forged payload can put any value in the photo entity; a URL would be
    fetched by Telegram and posted in the office group as the resident's photo."""
    slots = {
        **KNOWN,
        "feedback_add_photos": True,
        "requested_slot": "feedback_photos_done",
        "feedback_photos": ["AgACAgIAAxkBAAIBQ2"],
    }
    tracker = form_tracker(
        "feedback_form",
        slots=slots,
        changed={"feedback_photos_done": value},
        entities=[{"entity": "photo", "value": value}],
    )
    events, messages = await run(ValidateFeedbackForm(), tracker, domain)
    assert events == [
        SlotSet("feedback_photos_done", None),
        SlotSet("requested_slot", "feedback_photos_done"),
    ]
    assert [said(m) for m in messages] == [("utter_not_a_photo", {})]


async def test_a_photo_slot_that_holds_a_url_attaches_nothing(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    slots = {**KNOWN, "feedback_photos": ["https://attacker.example/x.jpg", "AgACAgIAAxkBAAIBQ3"]}
    slots |= {"feedback_photos_done": "none", "feedback_confirm": "send"}
    events, _ = await run(SubmitFeedback(), form_tracker("feedback_form", slots=slots), domain)
    assert events == reset_slots("feedback_form")
    [ticket] = await all_tickets(sessions)
    assert [a.telegram_file_id for a in ticket.attachments] == ["AgACAgIAAxkBAAIBQ3"]


async def test_correcting_one_field_asks_only_that_field_again(domain: dict[str, Any]) -> None:
    slots = {**KNOWN, "feedback_photos_done": "none", "requested_slot": "feedback_confirm"}
    menu = form_tracker(
        "feedback_form",
        slots=slots,
        changed={"feedback_confirm": "menu"},
        entities=[{"entity": "edit", "value": "menu"}],
    )
    events, _ = await run(ValidateFeedbackForm(), menu, domain)
    assert events == [
        SlotSet("feedback_confirm", None),
        SlotSet("requested_slot", "feedback_confirm"),
    ]
    # The confirmation question then shows the fields to pick from, not the summary.
    _, messages = await run(AskFeedbackConfirm(), menu, domain)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles[:3] == ["Loại ý kiến", "Lĩnh vực", "Nội dung"]
    assert "Số điện thoại" in titles and titles[-1] == "Hủy"
    pick = form_tracker(
        "feedback_form",
        slots=slots,
        changed={"feedback_confirm": "contact_phone"},
        entities=[{"entity": "edit", "value": "contact_phone"}],
    )
    events, _ = await run(ValidateFeedbackForm(), pick, domain)
    assert events == [
        SlotSet("feedback_confirm", None),
        SlotSet("contact_phone", None),
        SlotSet("requested_slot", "contact_phone"),
    ]


async def test_phone_with_letters_is_refused(domain: dict[str, Any]) -> None:
    slots = {**KNOWN, "contact_phone": None, "requested_slot": "contact_phone"}
    typed = form_tracker(
        "feedback_form", slots=slots, changed={"contact_phone": "09123abc45"}, text="09123abc45"
    )
    events, messages = await run(ValidateFeedbackForm(), typed, domain)
    assert events == [SlotSet("contact_phone", None), SlotSet("requested_slot", "contact_phone")]
    assert "số điện thoại" in text_of(messages[0]).lower()


async def test_a_likely_duplicate_is_offered_and_following_it_creates_nothing(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    first = {**KNOWN, "feedback_photos_done": "none", "feedback_confirm": "send"}
    await run(SubmitFeedback(), form_tracker("feedback_form", slots=first), domain)
    [existing] = await all_tickets(sessions)
    slots = {key: KNOWN[key] for key in ("feedback_consent", "feedback_category")}
    slots["feedback_kind"] = "gop_y"
    slots["feedback_content"] = "Dây internet đầu thôn bị đứt hai ngày nay rồi"
    typed = form_tracker(
        "feedback_form",
        slots={**slots, "requested_slot": "feedback_village"},
        changed={"feedback_village": "THON-MAU-1"},
        sender_id="3003",
    )
    events, _ = await run(ValidateFeedbackForm(), typed, domain)
    assert events == [
        SlotSet("feedback_village", "THON-MAU-1"),
        SlotSet("feedback_duplicate_code", existing.code),
        SlotSet("feedback_duplicate", None),
        SlotSet("requested_slot", "feedback_duplicate"),
    ]
    follow = {
        **slots,
        "feedback_village": "THON-MAU-1",
        "feedback_duplicate_code": existing.code,
        "feedback_duplicate": "follow",
    }
    events, messages = await run(
        SubmitFeedback(), form_tracker("feedback_form", slots=follow, sender_id="3003"), domain
    )
    assert events == reset_slots("feedback_form")
    assert existing.code in text_of(messages[0])
    assert messages[0]["buttons"][0]["payload"] == (
        f'/check_ticket_status{{"ticket_code":"{existing.code}"}}'
    )
    assert len(await all_tickets(sessions)) == 1


# --- submissions -------------------------------------------------------------------------


async def test_formal_report_keeps_contact_and_photos(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    slots = {**KNOWN, "feedback_photos": ["AgACAgIAAxkBAAIBQ2", "AgACAgIAAxkBAAIBQ3"]}
    slots |= {"feedback_photos_done": "none", "feedback_confirm": "send"}
    events, messages = await run(
        SubmitFeedback(), form_tracker("feedback_form", slots=slots), domain
    )
    assert events == reset_slots("feedback_form")
    [ticket] = await all_tickets(sessions)
    assert (ticket.kind, ticket.office.code, ticket.sender_id) == ("phan_anh", "KT", CHAT)
    assert (ticket.contact_name, ticket.contact_phone) == ("Nguyễn Văn An", "+84912345678")
    assert [a.telegram_file_id for a in ticket.attachments] == slots["feedback_photos"]
    assert ticket.code in text_of(messages[0]) and "trả lời qua cuộc trò chuyện" in text_of(
        messages[0]
    )


async def test_anonymous_suggestion_keeps_no_chat_id(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    slots = {
        "feedback_consent": False,
        "feedback_kind": "gop_y",
        "feedback_category": "ky_nang_so",
        "feedback_content": "Nên mở thêm lớp dạy dùng điện thoại cho người cao tuổi",
        "feedback_village": "none",
        "feedback_duplicate_code": "none",
        "feedback_confirm": "send",
    }
    _, messages = await run(SubmitFeedback(), form_tracker("feedback_form", slots=slots), domain)
    [ticket] = await all_tickets(sessions)
    assert ticket.anonymous and ticket.sender_id is None and ticket.contact_name is None
    assert ticket.office.code == "VHXH" and ticket.village_id is None
    assert "không trả lời riêng" in text_of(messages[0])


BUSINESS = {
    "business_consent": True,
    "business_name": "Hộ kinh doanh Mây tre Lại Khê",
    "tax_code": "0100109106",
    "business_sector": "Thủ công mỹ nghệ",
    "business_proposal": "Đề nghị xã hỗ trợ đưa sản phẩm lên sàn thương mại điện tử",
    "contact_name": "Trần Thị Bình",
    "business_contact": "binh@example.vn",
    "business_confirm": "send",
}


async def test_tax_code_with_a_wrong_check_digit_then_a_right_one(domain: dict[str, Any]) -> None:
    slots = {"business_consent": True, "business_name": "Mây tre", "requested_slot": "tax_code"}
    wrong = form_tracker("business_form", slots=slots, changed={"tax_code": "0100109107"})
    events, messages = await run(ValidateBusinessForm(), wrong, domain)
    # Every question applies here, so the engine's form picks the next one itself (the
    # SDK adds requested_slot only when the list differs from the domain's).
    assert events == [SlotSet("tax_code", None)]
    assert "mã số thuế" in text_of(messages[0]).lower()
    right = form_tracker("business_form", slots=slots, changed={"tax_code": "0100109106-001"})
    events, messages = await run(ValidateBusinessForm(), right, domain)
    assert events == [SlotSet("tax_code", "0100109106-001")]
    assert messages == []


async def test_business_proposal_goes_to_the_business_office(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    events, messages = await run(
        SubmitBusiness(), form_tracker("business_form", slots=BUSINESS), domain
    )
    assert events == reset_slots("business_form")
    [ticket] = await all_tickets(sessions)
    assert (ticket.kind, ticket.office.code) == ("kien_nghi", "KT")
    assert (ticket.business_name, ticket.tax_code, ticket.sector) == (
        BUSINESS["business_name"],
        "0100109106",
        "Thủ công mỹ nghệ",
    )
    assert (ticket.contact_email, ticket.contact_phone) == ("binh@example.vn", None)
    assert "Phòng Kinh tế" in text_of(messages[0])


async def test_business_without_consent_records_nothing(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    _, messages = await run(
        SubmitBusiness(), form_tracker("business_form", slots={"business_consent": False}), domain
    )
    assert await all_tickets(sessions) == []
    assert messages[0]["buttons"][0]["payload"] == "/give_feedback"


async def test_misinformation_report_is_anonymous_without_consent(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    slots = {
        "misinfo_source": "https://www.facebook.com/groups/123",
        "misinfo_claim": "Bài đăng nói xã thu phí cài đặt VNeID cho người dân",
        "misinfo_confirm": "send",
    }
    events, messages = await run(
        SubmitMisinformation(), form_tracker("misinformation_form", slots=slots), domain
    )
    assert events == reset_slots("misinformation_form")
    [ticket] = await all_tickets(sessions)
    assert (ticket.kind, ticket.office.code) == ("thong_tin_sai", "VHXH")
    assert ticket.source == slots["misinfo_source"] and ticket.claim == slots["misinfo_claim"]
    assert ticket.sender_id is None and ticket.anonymous
    assert ticket.code in text_of(messages[0])


async def test_complaint_is_confidential(sessions: Sessions, domain: dict[str, Any]) -> None:
    slots = {
        "complaint_record": "yes",
        "complaint_consent": True,
        "complaint_content": "Tôi khiếu nại quyết định thu hồi đất của xã năm nay",
        "contact_name": "Lê Văn Cường",
        "contact_phone": "0912345678",
        "complaint_confirm": "send",
    }
    _, messages = await run(SubmitComplaint(), form_tracker("complaint_form", slots=slots), domain)
    [ticket] = await all_tickets(sessions)
    assert ticket.kind == "khieu_nai_to_cao" and ticket.confidential
    assert ticket.contact_phone == "+84912345678" or ticket.contact_phone == "0912345678"
    assert "giữ kín" in text_of(messages[0])


async def test_declining_to_record_a_complaint_stores_nothing(
    sessions: Sessions, domain: dict[str, Any]
) -> None:
    tracker = form_tracker(
        "complaint_form",
        slots={"requested_slot": "complaint_record"},
        changed={"complaint_record": "no"},
        intent="deny",
    )
    events, _ = await run(ValidateComplaintForm(), tracker, domain)
    assert events == [SlotSet("complaint_record", "no"), SlotSet("requested_slot", None)]
    _, messages = await run(
        SubmitComplaint(), form_tracker("complaint_form", slots={"complaint_record": "no"}), domain
    )
    assert messages[0]["response"] == "utter_complaint_not_recorded"
    assert await all_tickets(sessions) == [] and await consent_rows(sessions) == []


async def test_database_down_keeps_the_form_and_says_so(
    tmp_path: Path, commune: CommuneConfig, domain: dict[str, Any]
) -> None:
    broken = sessionmaker_for(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db.sqlite")
    set_runtime(Runtime(commune=commune, sessions=broken))
    events, messages = await run(
        SubmitBusiness(), form_tracker("business_form", slots=BUSINESS), domain
    )
    assert events == [SlotSet("business_confirm", None)]
    assert said(messages[0]) == ("utter_save_failed", {})
    assert messages[0]["buttons"] == [{"title": "Gửi lại", "payload": "/business_proposal"}]
