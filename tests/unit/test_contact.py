from __future__ import annotations

import pytest

from laikhe.contact import (
    platform_of,
    validate_email,
    validate_link_or_platform,
    validate_person_name,
    validate_phone,
    validate_tax_code,
)


def _refused(result: tuple[str | None, str | None]) -> str:
    value, reason = result
    assert value is None and reason is not None
    return reason


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0912 345 678", "+84912345678"),
        ("+84 912345678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084 912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("0912-345-678", "+84912345678"),
        ("  0812345678 ", "+84812345678"),
        ("024 3825 1234", "+842438251234"),
        ("(024) 3825 1234", "+842438251234"),
        ("0225 3123 456", "+842253123456"),
        ("+84 (0) 912 345 678", "+84912345678"),
    ],
)
def test_vietnamese_phone_numbers_are_normalised_to_e164(typed: str, expected: str) -> None:
    assert validate_phone(typed) == (expected, None)


@pytest.mark.parametrize(
    ("typed", "reason_part"),
    [
        ("09123abc45", "chỉ gồm chữ số"),  # the library would read letters as a keypad
        ("", "chỉ gồm chữ số"),
        ("091234", "thiếu chữ số"),
        ("0912345678901234", "thừa chữ số"),
        ("0912 345 6789", "chưa đúng"),
        ("1900 1234", "chưa đúng"),  # a hotline cannot reach the sender
        ("+1 202 555 0143", "Việt Nam"),
        ("0086 139 1234 5678", "Việt Nam"),
    ],
)
def test_bad_phone_numbers_get_a_reason(typed: str, reason_part: str) -> None:
    reason = _refused(validate_phone(typed))
    assert reason_part in reason and "Anh/Chị" in reason


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("An.Nguyen@Gmail.COM", "An.Nguyen@gmail.com"),
        ("  user+tag@mail.laikhe.gov.vn ", "user+tag@mail.laikhe.gov.vn"),
        ("a_b-c@x.vn", "a_b-c@x.vn"),
    ],
)
def test_email_is_accepted(typed: str, expected: str) -> None:
    assert validate_email(typed) == (expected, None)


@pytest.mark.parametrize(
    "typed",
    ["", "a@b", "a b@c.vn", "an..b@x.vn", ".a@x.vn", "nguyễn@x.vn", "x@-a.vn", "x@a.v", "a@@b.vn"],
)
def test_bad_email_is_refused(typed: str) -> None:
    assert "email" in _refused(validate_email(typed))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0100109106", "0100109106"),
        ("01.00.109.106", "0100109106"),
        ("0100109106-001", "0100109106-001"),
        ("0100109106001", "0100109106-001"),
        ("0100109106 - 001", "0100109106-001"),
    ],
)
def test_tax_code_is_checked_and_normalised(typed: str, expected: str) -> None:
    assert validate_tax_code(typed) == (expected, None)


def test_wrong_check_digit_says_so() -> None:
    assert "chữ số kiểm tra" in _refused(validate_tax_code("0100109107"))


@pytest.mark.parametrize(
    "typed", ["", "01001091", "01001091O6", "01001091060012", "MST 0100109106"]
)
def test_malformed_tax_code_explains_the_format(typed: str) -> None:
    assert "10 chữ số" in _refused(validate_tax_code(typed))


def test_branch_zero_is_refused() -> None:
    assert _refused(validate_tax_code("0100109106-000"))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  Trần   Thị Bích  Ngọc ", "Trần Thị Bích Ngọc"),
        ("nguyễn văn an", "nguyễn văn an"),
        ("O'Neil-Smith Jr.", "O'Neil-Smith Jr."),
        ("Hoa\u0300ng Minh", "Hoàng Minh"),  # decomposed input is composed
    ],
)
def test_person_name_is_tidied(typed: str, expected: str) -> None:
    assert validate_person_name(typed) == (expected, None)


@pytest.mark.parametrize("typed", ["", "A", "Nguyễn Văn 2", "...", "an@x.vn", "x" * 81, "😀😀"])
def test_bad_person_name_is_refused(typed: str) -> None:
    assert "Họ tên" in _refused(validate_person_name(typed))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("https://www.facebook.com/groups/123?x=1", "https://www.facebook.com/groups/123?x=1"),
        ("www.tiktok.com/@abc", "https://www.tiktok.com/@abc"),
        ("fb", "Facebook"),
        ("Tik Tok", "TikTok"),
        ("ZALO", "Zalo"),
        ("youtube", "YouTube"),
        ("báo Dân trí", "báo Dân trí"),
        ("  nhóm Zalo   thôn Mẫu 1 ", "nhóm Zalo thôn Mẫu 1"),
    ],
)
def test_link_or_platform_is_accepted(typed: str, expected: str) -> None:
    assert validate_link_or_platform(typed) == (expected, None)


@pytest.mark.parametrize(
    "typed", ["", "!", "x", "http://", "https://a b.com", "https://localhost/x", "y" * 201]
)
def test_bad_link_or_platform_is_refused(typed: str) -> None:
    assert "Anh/Chị" in _refused(validate_link_or_platform(typed))


@pytest.mark.parametrize(
    ("source", "platform"),
    [
        ("https://m.facebook.com/story.php?id=1", "Facebook"),
        ("https://youtu.be/abc", "YouTube"),
        ("https://vt.tiktok.com/xyz", "TikTok"),
        ("nhóm Zalo thôn Mẫu 1", "Zalo"),
        ("trang tik tok abc", "TikTok"),
        ("báo Dân trí", None),
        ("https://news.example.vn/a", None),
        (None, None),
    ],
)
def test_platform_of_keeps_only_the_platform(source: str | None, platform: str | None) -> None:
    assert platform_of(source) == platform


def test_reasons_are_short_enough_for_a_phone_screen() -> None:
    reasons = [
        validate_phone("abc")[1],
        validate_email("x")[1],
        validate_tax_code("1")[1],
        validate_tax_code("0100109107")[1],
        validate_person_name("1")[1],
        validate_link_or_platform("!")[1],
    ]
    assert all(reason is not None and len(reason) <= 160 for reason in reasons)
