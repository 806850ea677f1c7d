"""The Zalo staff command parser: names, codes, arguments and offices as staff type them."""

from __future__ import annotations

import pytest

from zalo.staff_commands import (
    Command,
    Problem,
    is_outside,
    is_staff_command,
    match_office,
    parse,
)

OFFICES = [
    ("TTVHTT", "Trung tâm Văn hóa, Thể thao và Truyền thông xã"),
    ("VHXH", "Phòng Văn hóa - Xã hội"),
    ("VP", "Văn phòng HĐND và UBND xã"),
    ("KT", "Phòng Kinh tế"),
]


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("/nhan LK-2026-000123", "take"),
        ("/Nhận lk-2026-123", "take"),
        ("  /NHAN LK-2026-000123", "take"),
        ("/nhan@laikhe_bot LK-2026-000123", "take"),
        ("/dong LK-2026-000123", "close"),
        ("/đóng LK-2026-000123", "close"),
        ("/xem LK-2026-000123", "view"),
    ],
)
def test_commands_with_a_code_only(text: str, op: str) -> None:
    assert parse(text) == Command(op, "LK-2026-000123", "")  # type: ignore[arg-type]


def test_an_answer_keeps_its_text_with_line_breaks() -> None:
    parsed = parse("/traloi LK-2026-7 Đã sửa đèn.\nCảm ơn Anh/Chị.")
    assert parsed == Command("answer", "LK-2026-000007", "Đã sửa đèn.\nCảm ơn Anh/Chị.")


def test_reject_and_forward_take_the_rest() -> None:
    assert parse("/tuchoi LK-2026-1 không thuộc thẩm quyền") == Command(
        "reject", "LK-2026-000001", "không thuộc thẩm quyền"
    )
    assert parse("/chuyển LK-2026-1 kinh te") == Command("forward", "LK-2026-000001", "kinh te")


def test_sign_in_needs_no_code() -> None:
    assert parse("/dangnhap") == Command("sign_in", None, "")
    assert parse("/ID") == Command("my_id", None, "")
    assert parse("/đăng_nhập") != Command("sign_in", None, "")  # not a known spelling


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("/nhan", "/nhan <mã ý kiến>"),
        ("/traloi LK-2026-1", "/traloi <mã ý kiến> <nội dung trả lời>"),
        ("/traloi LK-2026-1    ", "/traloi <mã ý kiến> <nội dung trả lời>"),
        ("/tuchoi LK-2026-1", "/tuchoi <mã ý kiến> <lý do>"),
        ("/chuyen LK-2026-1", "/chuyen <mã ý kiến>"),
    ],
)
def test_missing_arguments_get_the_usage(text: str, usage: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Problem)
    assert parsed.message.startswith("Cú pháp: ") and usage in parsed.message


def test_a_bad_code_is_named_in_the_reply() -> None:
    parsed = parse("/nhan 123")
    assert isinstance(parsed, Problem)
    assert "«123» không phải mã ý kiến" in parsed.message


def test_unknown_commands_list_the_known_ones() -> None:
    parsed = parse("/abc LK-2026-1")
    assert isinstance(parsed, Problem)
    assert "không hiểu lệnh «/abc»" in parsed.message and "/traloi" in parsed.message


def test_text_that_is_no_command() -> None:
    assert parse("xin chào") is None
    assert parse("") is None
    assert not is_staff_command("xin chào")
    assert not is_staff_command("/start")
    assert is_staff_command("/traloi")  # malformed, still a staff command
    assert is_staff_command("/Trả_lời".replace("_", ""))


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("KT", "KT"),
        ("kt", "KT"),
        ("Phòng Kinh tế", "KT"),
        ("phong kinh te", "KT"),
        ("kinh tế", "KT"),
        ("van hoa - xa hoi", "VHXH"),
        ("Văn phòng HĐND và UBND xã", "VP"),
        ("van phong", "VP"),
    ],
)
def test_offices_by_code_or_name(typed: str, code: str) -> None:
    assert match_office(typed, OFFICES) == code


@pytest.mark.parametrize("typed", ["", "phòng", "van hoa", "tư pháp", "kin"])
def test_no_office_or_several(typed: str) -> None:
    # «phòng» and «văn hóa» fit two offices; «kin» is no whole word of a name.
    assert match_office(typed, OFFICES) is None


def test_outside_the_commune() -> None:
    assert is_outside("ngoài xã") and is_outside("Ngoai  xa")
    assert not is_outside("xã")
