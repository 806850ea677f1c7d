"""Every answer the assistant can send from its responses is true to its sources, fits a
phone screen, and only points residents at words the assistant understands.

FAQ answers (nlu/faq_responses.yml) are rendered with the local facts the FAQ action fills
in from the shipped commune configuration; domain.yml responses have no placeholders.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.faq import local_facts
from laikhe.commune import load_commune_config
from laikhe.vntext import nfc, normalize
from services.consent import CONSENT_NOTICE
from tests.unit.test_training_data import _training

ROOT = Path(__file__).resolve().parents[2]
# A phone screen shows about this much without scrolling far; longer answers get skipped.
MAX_CHARS = 900
# Sentences a review found false, unsupported or contradicting the assistant (issue #17).
FORBIDDEN = (
    "Bấm «Hướng dẫn»",  # no such button after an answer
    "15 ngày",  # that limit is for opinions on legal documents; tickets show their own date
    "tới từng hộ",  # the plan has villages inform households, not visit each one
    "Mỗi thôn có một Tổ công nghệ số",  # the ministry's guideline, not a checked local fact
    "Tổ công nghệ số ở thôn",  # same claim, said in passing
    "Đồng ý phải bằng bấm nút",  # a typed answer is accepted too
    "các thôn hướng dẫn người dân học",  # the plan has villages promote the platform
    "Thời hạn lưu: chưa cập nhật",  # the consent notice states the retention rule
)
# What each «gõ ...» hint is meant to do: the phrase must be a training example of it.
HINT_INTENTS = {
    "hướng dẫn": "help",
    "hủy": "cancel",
    "góp ý": "give_feedback",
    "gặp cán bộ": "request_human",
    "tra cứu phiếu": "check_ticket_status",
    "xóa dữ liệu của tôi": "delete_my_data",
    "đề xuất doanh nghiệp": "business_proposal",
    "mục tiêu nghị quyết 57": "faq/nq57_goals",
    "đăng ký VNeID": "faq/vneid_register",
    "tổ công nghệ số": "faq/digital_skills_support",
}
# Buttons an action sends with its response (built at run time: their payloads carry
# JSON or change with the conversation), by response.
ACTION_BUTTONS = {
    "utter_save_failed": ("Gửi lại",),  # actions.ticket_forms.save_failed
    "utter_feedback_photos_received": ("Xong",),  # actions.feedback.AskFeedbackPhotos
    "utter_feedback_photos_offer": ("Không có ảnh",),  # actions.feedback.AskFeedbackPhotos
    "utter_line_send_or_edit": ("Gửi", "Sửa", "Hủy"),  # actions.ticket_forms.confirm_buttons
}
# A reply to a wrong answer at a button step: the form asks that step again right after.
ASKED_AGAIN = {"utter_press_reading_button": "utter_ask_feedback_reading"}
# Hints the actions wrote in Python before their wording moved here unchanged (issue #18,
# item 6), which these checks would refuse: left for staff to reword.
MOVED_AS_THEY_WERE = {
    # The «Xong» button is shown once a photo has been sent.
    ("utter_feedback_photos_offer", "Xong"),
    # The button reads «Không theo thôn / bỏ qua».
    ("utter_feedback_village_unknown", "bỏ qua"),
    # Not training examples of check_ticket_status ("tra cứu phiếu" is).
    ("utter_bad_ticket_button", "tra cứu"),
    ("utter_feedback_following", "tra cứu LK-2026-000123"),
}
TYPED_HINT = re.compile(r"gõ\s+«([^»]+)»", re.IGNORECASE)
PRESS_HINT = re.compile(r"bấm\s+«([^»]+)»", re.IGNORECASE)
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def _render(text: str, values: dict[str, str]) -> str:
    """Fill {name} placeholders the way Rasa's response templates do; unknown ones fail."""

    def fill(match: re.Match[str]) -> str:
        assert match.group(1) in values, f"unknown placeholder {match.group(0)}"
        return values[match.group(1)]

    return PLACEHOLDER.sub(fill, text)


def _responses() -> dict[str, list[dict[str, Any]]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    faq = yaml.safe_load((ROOT / "nlu" / "faq_responses.yml").read_text(encoding="utf-8"))
    return {**domain["responses"], **faq["responses"]}


def _rendered() -> list[tuple[str, str, list[str]]]:
    """(response name, rendered text, button titles) for every variant of every response."""
    values = {
        **local_facts(load_commune_config(ROOT / "config" / "commune.yml")),
        # Filled by an action from the conversation (actions.feedback.AskFeedbackReading).
        "reading": "• Loại: Phản ánh\n• Lĩnh vực: Hạ tầng số (Internet, sóng, wifi)",
        # Filled by the actions from a ticket, a count or what the resident typed
        # (tests/unit/test_moved_wording.py checks each moved text).
        "code": "LK-2026-000123",
        "office": "Văn phòng HĐND và UBND xã",
        "due_date": "15/07/2026",
        "date": "01/07/2026",
        "count": "2",
        "limit": "5",
        "score": "4",
        "kind": "Phản ánh",
        "category": "Hạ tầng số (Internet, sóng, wifi)",
        "village": "Thôn Mẫu 1",
        "state": "Mới tiếp nhận",
        "content": "Wifi ở nhà văn hóa thôn Mẫu 1 mất sóng từ sáng thứ Hai.",
        "preview": "Wifi ở nhà văn hóa thôn Mẫu 1 mất sóng…",
        "name": "Nguyễn Văn An",
        "phone": "0912 345 678",
        "label": "Nội dung",
        "value": "Wifi ở nhà văn hóa thôn Mẫu 1 mất sóng từ sáng thứ Hai.",
    }
    return [
        (
            name,
            nfc(_render(variant["text"], values)),
            [b["title"] for b in variant.get("buttons", [])],
        )
        for name, variants in _responses().items()
        for variant in variants
    ]


RENDERED = _rendered()
IDS = [name for name, _, _ in RENDERED]


@pytest.mark.parametrize(("name", "text", "buttons"), RENDERED, ids=IDS)
def test_no_answer_repeats_a_claim_found_false(name: str, text: str, buttons: list[str]) -> None:
    folded = text.casefold()
    assert [p for p in FORBIDDEN if nfc(p).casefold() in folded] == [], name


@pytest.mark.parametrize(("name", "text", "buttons"), RENDERED, ids=IDS)
def test_every_answer_fits_a_phone_screen(name: str, text: str, buttons: list[str]) -> None:
    assert 0 < len(text) <= MAX_CHARS, (name, len(text))


@pytest.mark.parametrize(("name", "text", "buttons"), RENDERED, ids=IDS)
def test_a_press_hint_names_a_button_of_the_same_message(
    name: str, text: str, buttons: list[str]
) -> None:
    # FAQ answers are followed by the vote buttons only, so they may not say «bấm».
    shown = [*buttons, *ACTION_BUTTONS.get(name, ())]
    if name in ASKED_AGAIN:
        shown += [b["title"] for b in _responses()[ASKED_AGAIN[name]][0].get("buttons", [])]
    for title in PRESS_HINT.findall(text):
        if (name, title) not in MOVED_AS_THEY_WERE:
            assert title in shown, (name, title)


def test_each_hint_left_as_it_was_is_still_in_its_response() -> None:
    # Once staff reword one, its entry goes and the checks above apply to it again.
    texts = {name: text for name, text, _ in RENDERED}
    for name, hint in MOVED_AS_THEY_WERE:
        assert f"«{hint}»" in texts[name], (name, hint)


@cache
def _intents_by_example() -> dict[str, set[str]]:
    """Normalised training sentence -> the intents (or FAQ keys) it is an example of."""
    examples: dict[str, set[str]] = {}
    for intent, texts in _training().items():
        for example in texts:
            examples.setdefault(normalize(example), set()).add(intent)
    return examples


@pytest.mark.parametrize(("name", "text", "buttons"), RENDERED, ids=IDS)
def test_every_typed_hint_is_a_trained_phrase_of_its_intent(
    name: str, text: str, buttons: list[str]
) -> None:
    for hint in TYPED_HINT.findall(text):
        if (name, hint) in MOVED_AS_THEY_WERE:
            continue
        assert hint in HINT_INTENTS, f"{name}: «{hint}» has no intended intent in this test"
        assert _intents_by_example().get(normalize(hint)) == {HINT_INTENTS[hint]}, (name, hint)


def test_the_privacy_answer_states_the_retention_of_the_consent_notice() -> None:
    [retention] = [
        line.removeprefix("• ").rstrip(".")
        for line in CONSENT_NOTICE.splitlines()
        if "Thời gian lưu" in line
    ]
    [privacy] = [text for name, text, _ in RENDERED if name == "utter_faq/privacy"]
    assert retention in privacy


def test_answers_carry_the_facts_the_review_asked_for() -> None:
    answers = {name: text for name, text, _ in RENDERED}
    assert "10/10" in answers["utter_faq/digital_transformation_day"]
    assert "Ban Thường vụ Đảng ủy" in answers["utter_faq/nq57_local_plan"]
    # The due date comes from the same setting that dates the tickets.
    config = load_commune_config(ROOT / "config" / "commune.yml")
    days = config.due_working_days["default"]
    assert f"{days} ngày làm việc" in answers["utter_faq/feedback_process"]
    for kept in ("ảnh", "thôn", "Mã cuộc trò chuyện", "lịch sử trò chuyện", "chưa trả lời được"):
        assert kept in answers["utter_faq/privacy"], kept
    assert "lãnh đạo xã và quản trị viên" in answers["utter_faq/privacy"]
