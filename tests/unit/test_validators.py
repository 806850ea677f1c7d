from __future__ import annotations

import pytest

from laikhe.validators import (
    MAX_FEEDBACK_CHARS,
    clean_text,
    is_telegram_file_id,
    match_choice,
    validate_feedback_text,
    yes_or_no,
)

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


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("a\x00b", "ab"),
        ("dòng 1\r\ndòng 2\rdòng 3\u2028dòng 4", "dòng 1\ndòng 2\ndòng 3\ndòng 4"),
        ("tab\there", "tab here"),
        ("\x1b[31mđỏ\x7f\x9b", "[31mđỏ"),
        ("abc\u202egnp.exe\u202c", "abcgnp.exe"),
        ("\u2066\u2067\u2068x\u2069\u200e\u200f\u061c", "x"),
        ("\ufeffxin \ud800chào", "xin chào"),
        ("Thôn Mẫu 1 😀 <b>", "Thôn Mẫu 1 😀 <b>"),
    ],
)
def test_clean_text_strips_control_and_bidi_characters_but_keeps_newlines(
    typed: str, kept: str
) -> None:
    assert clean_text(typed) == kept


def test_feedback_text_keeps_no_control_or_bidi_character() -> None:
    cleaned, reason = validate_feedback_text("Đèn\x00 đường\u202e thôn\u2066 Mẫu 1 hỏng\x07")
    assert reason is None
    assert cleaned == "Đèn đường thôn Mẫu 1 hỏng"
    assert match_choice("Thôn\u202e Mẫu\x00 1", {"mau_1": "Thôn Mẫu 1"}) == "mau_1"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("AgACAgIAAxkBAAIBQ2", True),
        ("AgACAgIAAxkBAAIBQ2\n", False),
        ("https://x.example/a.jpg", False),
        ("short", False),
        (None, False),
    ],
)
def test_telegram_file_id_shape(value: object, ok: bool) -> None:
    assert is_telegram_file_id(value) is ok


def test_every_form_text_check_strips_control_characters() -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from actions.ticket_forms import check_text
    from laikhe.contact import validate_person_name

    dispatcher = CollectingDispatcher()
    assert check_text(
        "contact_name", "Nguyễn\u202e Văn\x00 An", validate_person_name, dispatcher
    ) == {"contact_name": "Nguyễn Văn An"}
    assert dispatcher.messages == []


VILLAGES = {
    "THON-MAU-1": "Thôn Mẫu 1 (mẫu)",
    "THON-MAU-2": "Thôn Mẫu 2 (mẫu)",
    "THON-MAU-10": "Thôn Mẫu 10",
}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ở thôn Mẫu 1", "THON-MAU-1"),
        ("o thon mau 1", "THON-MAU-1"),
        ("Ở THÔN MẪU 1 ạ", "THON-MAU-1"),
        ("xóm mẫu 2", "THON-MAU-2"),
        ("việc này ở thôn mẫu 2, gần chợ", "THON-MAU-2"),
        ("thon mau1", "THON-MAU-1"),
        ("Mẫu 1", "THON-MAU-1"),
        ("o thon mau 10", "THON-MAU-10"),  # "Mẫu 10" is not "Mẫu 1"
        ("thôn mẫu", None),  # which one?
        ("mẫu 1 hay mẫu 2", None),  # two villages named
        ("ở gần chợ", None),
    ],
)
def test_village_named_anywhere_in_the_text(typed: str, expected: str | None) -> None:
    assert match_choice(typed, VILLAGES) == expected


def test_a_kind_said_in_a_sentence_is_understood() -> None:
    kinds = {"gop_y": "Góp ý", "phan_anh": "Phản ánh", "kien_nghi": "Kiến nghị"}
    assert match_choice("em muốn phản ánh ạ", kinds) == "phan_anh"
    assert match_choice("kien nghi", kinds) == "kien_nghi"
    assert match_choice("góp ý hay phản ánh", kinds) is None


@pytest.mark.parametrize(
    "typed",
    [
        "vâng, ghi nhận giúp em",
        "vang ghi nhan giup em",
        "ừ",
        "u",
        "ok",
        "oke nhé",
        "có",
        "co a",
        "có, ghi lại giúp tôi",
        "được",
        "đc",
        "được rồi",
        "đồng ý",
        "dong y",
        "Đồng ý ạ",
        "dạ",
        "dạ vâng",
        "VÂNG",
    ],
)
def test_yes_at_a_yes_no_step(typed: str) -> None:
    assert yes_or_no(typed) is True


@pytest.mark.parametrize(
    "typed",
    [
        "không",
        "ko",
        "k",
        "khong a",
        "không đồng ý",
        "khong dong y",
        "chưa đồng ý",
        "thôi",
        "thoi",
        "dạ không",
        "Không, cảm ơn",
        "ko cam on",
        "không cần đâu",
    ],
)
def test_no_at_a_yes_no_step(typed: str) -> None:
    assert yes_or_no(typed) is False


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "/affirm",
        "cô ơi",  # not "có"
        "ư",  # not "ừ"
        "có mất phí không",  # a question
        "có mất phí không?",
        "được không",
        "không biết",
        "có lẽ",
        "có cột điện bị đổ ở đầu thôn",  # content typed early, not an answer
        "không có sóng điện thoại",
        "vâng, nhưng tôi không đồng ý",  # contradicts itself
        "dạ em muốn hỏi",
        "vâng " * 11,  # too long to be an answer
    ],
)
def test_no_answer_is_left_undecided(typed: str) -> None:
    assert yes_or_no(typed) is None


def test_a_step_adds_its_own_button_words() -> None:
    assert yes_or_no("ghi nhận nội dung", yes=("ghi nhận",)) is True
    assert yes_or_no("không sửa, gửi luôn", yes=("không sửa", "gửi"), no=("sửa",)) is True
    assert yes_or_no("sửa lại số điện thoại", yes=("gửi",), no=("sửa",)) is False
    assert yes_or_no("gửi thêm ảnh", yes=("gửi",), no=("sửa",)) is None
    assert yes_or_no("ko có ảnh ạ", no=("không có ảnh",)) is False
    # A choice between two offers is not made by a plain "có".
    assert yes_or_no("có", yes=("theo dõi",), no=("gửi mới",), generic=False) is None
    assert yes_or_no("vẫn gửi mới", yes=("theo dõi",), no=("vẫn gửi",), generic=False) is False
