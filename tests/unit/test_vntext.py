"""Unit tests for laikhe.vntext (Vietnamese normalisation for matching)."""

from __future__ import annotations

import unicodedata

import pytest

from laikhe.vntext import (
    ABBREVIATIONS,
    NormalizedToken,
    fold_diacritics,
    nfc,
    normalize,
    normalize_tone_placement,
    tokenize_with_offsets,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def texts(text: str) -> list[str]:
    return [token.text for token in tokenize_with_offsets(text)]


# --- nfc / fold ------------------------------------------------------------------------


def test_nfc_composes_decomposed_input() -> None:
    decomposed = nfd("Đăng ký tài khoản")
    assert decomposed != "Đăng ký tài khoản"
    assert nfc(decomposed) == "Đăng ký tài khoản"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("đăng ký", "dang ky"),
        ("ĐĂNG KÝ", "DANG KY"),
        ("Đường Lại Khê", "Duong Lai Khe"),
        ("ắằẳẵặ ấầẩẫậ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự ýỳỷỹỵ", "aaaaa aaaaa eeeee ooooo ooooo uuuuu yyyyy"),
        ("plain ascii 123", "plain ascii 123"),
    ],
)
def test_fold_diacritics(text: str, expected: str) -> None:
    assert fold_diacritics(text) == expected
    assert fold_diacritics(nfd(text)) == expected


def test_fold_keeps_other_scripts_intact() -> None:
    # Only the Latin combining block is stripped; Thai vowel signs are not diacritics.
    assert fold_diacritics("ที่") == "ที่"


# --- tone placement --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [
        ("hòa", "hoà"),
        ("Hòa", "Hoà"),
        ("HÒA", "HOÀ"),
        ("thúy", "thuý"),
        ("THÚY", "THUÝ"),
        ("khỏe", "khoẻ"),
        ("Khỏe", "Khoẻ"),
        ("ủy ban", "uỷ ban"),
        ("hóa đơn", "hoá đơn"),
        ("qúy", "quý"),  # misplaced on the u of "qu"
        ("hòang", "hoàng"),  # misplaced in a closed syllable
        ("gìa", "già"),  # misplaced on the i of "gi"
    ],
)
def test_tone_placement_maps_both_styles_to_new_style(old_style: str, new_style: str) -> None:
    assert normalize_tone_placement(old_style) == new_style
    assert normalize_tone_placement(new_style) == new_style
    assert normalize_tone_placement(nfd(old_style)) == new_style


@pytest.mark.parametrize(
    "word",
    [
        "quý",
        "già",
        "gì",
        "giếng",
        "người",
        "thuở",
        "khuỷu",
        "ngoái",
        "mía",
        "múa",
        "tài",
        "hoàn",
        "toán",
        "Quyển",
        "Đà Nẵng",
        "VNeID",
        "café",
        "LK-2026-000123",
    ],
)
def test_tone_placement_leaves_correct_and_foreign_words_alone(word: str) -> None:
    assert normalize_tone_placement(word) == word


def test_tone_placement_whole_sentence_keeps_case_and_punctuation() -> None:
    assert normalize_tone_placement("Hòa thuận, QÚY khách khỏe không?") == (
        "Hoà thuận, QUÝ khách khoẻ không?"
    )


def test_tone_placement_variants_normalise_equal() -> None:
    for first, second in [("hoà", "hòa"), ("thuý", "thúy"), ("khoẻ", "khỏe"), ("Hoà", "HÒA")]:
        assert normalize(first) == normalize(second)
        assert normalize_tone_placement(first).lower() == normalize_tone_placement(second).lower()


# --- normalize -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Làm sao đăng ký VNeID?", "lam sao dang ky vneid"),
        ("quen mk vneid", "quen mat khau vneid"),
        ("dk tk muc 2 o dau", "dang ky tai khoan muc 2 o dau"),
        ("ko biet nop ho so online", "khong biet nop ho so online"),
        ("VNelD", "vneid"),
        ("vnied bị lỗi", "vneid bi loi"),
        ("Đc ko ạ", "duoc khong a"),
        ("sđt đổi ntn", "so dien thoai doi nhu the nao"),
        ("ĐƯỜNG ĐÊ", "duong de"),
        ("  nhiều   khoảng\ttrắng \n ", "nhieu khoang trang"),
        ("Tra cứu LK-2026-000123!!!", "tra cuu lk-2026-000123"),
        ("phí 1.500.000 ngày 12/03/2026", "phi 1.500.000 ngay 12/03/2026"),
        ("- gạch đầu dòng -", "gach dau dong"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_diacritic_and_plain_spellings_normalise_equal() -> None:
    pairs = [
        (
            "Làm sao để đăng ký tài khoản định danh điện tử mức 2?",
            "lam sao de dang ky tai khoan dinh danh dien tu muc 2",
        ),
        ("Tôi quên mật khẩu VNeID", "toi quen mat khau vneid"),
        ("Hồ sơ của tôi đã được xử lý chưa", "ho so cua toi da duoc xu ly chua"),
        ("Thủ tục hòa giải ở xã", "thu tuc hoa giai o xa"),
    ]
    for accented, plain in pairs:
        assert normalize(accented) == normalize(plain)
        assert normalize(nfd(accented)) == normalize(plain)


def test_abbreviated_and_full_forms_normalise_equal() -> None:
    assert normalize("quên mk vneid") == normalize("Quên mật khẩu VNeID")
    assert normalize("đk tk mức 2") == normalize("đăng ký tài khoản mức 2")
    assert normalize("ko bik nộp hs onl") == "khong biet nop hs online"


def test_chat_and_administrative_shorthand_expands() -> None:
    assert normalize("nq57 ở LK") == normalize("nghị quyết 57 ở Lại Khê")
    assert normalize("Cty e muốn lên sàn TMĐT") == "cong ty e muon len san thuong mai dien tu"
    assert normalize("Oke, tks ad nhiu") == "ok cam on ad nhieu"
    assert normalize("cb xa chua tl, mn oi") == "can bo xa chua tra loi moi nguoi oi"
    assert normalize("nhóm FB thôn") == "nhom facebook thon"


def test_ambiguous_abbreviations_are_not_expanded() -> None:
    # bn: bạn / bao nhiêu; tt: thông tin / thủ tục; hs: hồ sơ / học sinh; kg: unit.
    assert normalize("bn tt hs 5 kg hn") == "bn tt hs 5 kg hn"
    # dn: doanh nghiệp / đăng nhập; ck: chuyển khoản / chồng; kn, tn, t: several too.
    assert normalize("dn ck kn tn t") == "dn ck kn tn t"
    # "hồng" folds to "hong", which must not become "không" (sổ hồng = land title).
    assert normalize("sổ hồng") == "so hong"


def test_abbreviation_table_is_folded_and_idempotent() -> None:
    expansion_words = {word for value in ABBREVIATIONS.values() for word in value.split()}
    for key, value in ABBREVIATIONS.items():
        assert key == fold_diacritics(key).lower(), key
        assert value == fold_diacritics(value).lower(), value
    # An expansion containing a key would expand again on a second pass.
    assert not expansion_words & ABBREVIATIONS.keys()


@pytest.mark.parametrize(
    "text",
    [
        "Làm sao đăng ký VNeID?",
        "quen mk vneid",
        "dk tk muc 2 o dau, email a.b@x.gov.vn, xem https://dichvucong.gov.vn/p.",
        "<b>Hoà</b> *_khoẻ_* 😀 LK-2026-000123 1.500.000đ",
        nfd("Thủ tục HÒA GIẢI ở UBND xã"),
        "",
    ],
)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


# --- tokenize_with_offsets -------------------------------------------------------------


def test_tokens_carry_offsets_into_original_text() -> None:
    text = "Làm sao đăng ký VNeID?"
    tokens = tokenize_with_offsets(text)
    assert [token.text for token in tokens] == ["lam", "sao", "dang", "ky", "vneid"]
    assert [text[token.start : token.end] for token in tokens] == [
        "Làm",
        "sao",
        "đăng",
        "ký",
        "VNeID",
    ]


def test_nfd_offsets_recover_original_tokens() -> None:
    composed = "Hoà thuận: đăng ký TÀI KHOẢN"
    decomposed = nfd(composed)
    assert len(decomposed) > len(composed)
    tokens = tokenize_with_offsets(decomposed)
    assert [token.text for token in tokens] == texts(composed)
    originals = [decomposed[token.start : token.end] for token in tokens]
    assert originals == [nfd(word) for word in ["Hoà", "thuận", "đăng", "ký", "TÀI", "KHOẢN"]]
    # The spans are contiguous slices of the decomposed input, marks included.
    assert all(unicodedata.is_normalized("NFD", original) for original in originals)


def test_mixed_nfc_nfd_input_offsets() -> None:
    text = "ký " + nfd("hồ sơ") + " xong"
    tokens = tokenize_with_offsets(text)
    assert [nfc(text[token.start : token.end]) for token in tokens] == ["ký", "hồ", "sơ", "xong"]


def test_expanded_abbreviation_tokens_share_the_original_span() -> None:
    text = "Quên MK vneid"
    tokens = tokenize_with_offsets(text)
    assert tokens == [
        NormalizedToken("quen", 0, 4),
        NormalizedToken("mat", 5, 7),
        NormalizedToken("khau", 5, 7),
        NormalizedToken("vneid", 8, 13),
    ]


def test_ticket_codes_numbers_emails_urls_are_single_tokens() -> None:
    text = "Mã LK-2026-000123, phí 1.500.000 lúc 08:30; mail a.b@x.gov.vn hoặc https://dvc.gov.vn/a?b=1."
    tokens = tokenize_with_offsets(text)
    spans = {text[token.start : token.end]: token.text for token in tokens}
    assert spans["LK-2026-000123"] == "lk-2026-000123"
    assert spans["1.500.000"] == "1.500.000"
    assert spans["08:30"] == "08:30"
    assert spans["a.b@x.gov.vn"] == "a.b@x.gov.vn"
    assert spans["https://dvc.gov.vn/a?b=1"] == "https://dvc.gov.vn/a?b=1"


def test_markup_is_not_tokenised() -> None:
    text = "<b>Đăng ký</b> *_gấp_* `ngay`"
    tokens = tokenize_with_offsets(text)
    assert [token.text for token in tokens] == ["dang", "ky", "gap", "ngay"]
    assert [text[token.start : token.end] for token in tokens] == ["Đăng", "ký", "gấp", "ngay"]


def test_token_is_frozen() -> None:
    token = NormalizedToken("a", 0, 1)
    with pytest.raises(AttributeError):
        token.text = "b"  # type: ignore[misc]


# --- robustness ------------------------------------------------------------------------

HUGE = ("Làm sao đăng ký tài khoản VNeID mức 2? LK-2026-000123 😀 <b>x</b> " * 70)[:4096]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \t\n ",
        "😀",
        "😀👍🏽🇻🇳",
        "👨‍👩‍👧",
        "?!...",
        "<b></b>",
        "*_~`",
        "\u0301\u0300",  # stray combining marks with no base letter
        "\u200b\ufeff",
        HUGE,
        nfd(HUGE),
        "a" * 4096,
        "a." * 2048,
        "a@" * 2048,
        "1." * 2048,
        "https://" + "a." * 2044,
    ],
)
def test_robust_inputs(text: str) -> None:
    tokens = tokenize_with_offsets(text)
    for token in tokens:
        assert 0 <= token.start < token.end <= len(text)
        assert token.text
    assert normalize(text) == " ".join(token.text for token in tokens)
    assert normalize(normalize(text)) == normalize(text)
    normalize_tone_placement(text)
    fold_diacritics(text)


@pytest.mark.parametrize("text", ["", "😀", "👍🏽 ?!", "<b></b>", "*_~`"])
def test_inputs_without_words_give_no_tokens(text: str) -> None:
    assert tokenize_with_offsets(text) == []
    assert normalize(text) == ""


def test_huge_input_tokenises_completely() -> None:
    assert len(HUGE) == 4096
    tokens = tokenize_with_offsets(HUGE)
    assert tokens[0] == NormalizedToken("lam", 0, 3)
    assert normalize(HUGE).count("lk-2026-000123") == HUGE.count("LK-2026-000123")
