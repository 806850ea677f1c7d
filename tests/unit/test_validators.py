from __future__ import annotations

import pytest

from laikhe.validators import MAX_FEEDBACK_CHARS, match_choice, validate_feedback_text

CHOICES = {
    "dich_vu_cong": "Dịch vụ công trực tuyến",
    "ha_tang_so": "Hạ tầng số (Internet, sóng, wifi)",
}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("dich_vu_cong", "dich_vu_cong"),
        ("Dịch vụ công trực tuyến", "dich_vu_cong"),
        ("DICH VU CONG TRUC TUYEN", "dich_vu_cong"),
        ("ha tang so", "ha_tang_so"),
        ("wifi", "ha_tang_so"),
        ("bóng đá", None),
        ("", None),
        ("😀", None),
    ],
)
def test_match_choice(typed: str, expected: str | None) -> None:
    assert match_choice(typed, CHOICES) == expected


def test_ambiguous_part_matches_nothing() -> None:
    assert match_choice("thon mau", {"A": "Thôn Mẫu 1", "B": "Thôn Mẫu 2"}) is None


@pytest.mark.parametrize("text", ["", "ok", "😀😀😀", "<b> *_", "đường hỏng"])
def test_too_short_feedback_is_refused_with_a_reason(text: str) -> None:
    cleaned, reason = validate_feedback_text(text)
    assert cleaned is None and reason is not None and "Anh/Chị" in reason


def test_feedback_is_cleaned_and_kept_literally() -> None:
    cleaned, reason = validate_feedback_text("  Đèn   đường <b>thôn</b>\n hỏng *_ lâu rồi ")
    assert reason is None
    assert cleaned == "Đèn đường <b>thôn</b> hỏng *_ lâu rồi"


def test_huge_feedback_is_refused() -> None:
    cleaned, reason = validate_feedback_text("nội dung " * (MAX_FEEDBACK_CHARS // 4))
    assert cleaned is None and reason is not None and str(MAX_FEEDBACK_CHARS) in reason
