"""services.question_groups: a realistic set of residents' questions, typed with and
without diacritics, abbreviations and contact details, gives the expected groups in the
expected order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.question_groups import group_questions, topic_key

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)

ASKED = [
    # Internet at the cultural house: 4, typed every way.
    "mất mạng ở nhà văn hóa",
    "mat mang o nha van hoa",
    "Nhà văn hóa bị mất mạng à?",
    "MAT MANG NHA VAN HOA",
    # VNeID registration: 3, with abbreviations and a phone number.
    "làm sao đăng ký tài khoản VNeID",
    "lam sao dk tk vneid, sdt em 0912 345 678",
    "đăng ký vneid thế nào",
    # Rabies shots: 2.
    "lịch tiêm phòng dại cho chó",
    "tiem phong dai o dau",
    # Land tax: 2, asked last (more recent than the rabies questions).
    "đóng thuế đất ở đâu",
    "thuế đất nộp ở đâu",
    # Alone.
    "xổ số kiến thiết mở thưởng lúc mấy giờ",
    "!!!",  # nothing to group: skipped
]


def _groups() -> list[tuple[int, str, set[str]]]:
    found = group_questions((text, T0 + timedelta(hours=i)) for i, text in enumerate(ASKED))
    return [(g.count, g.example, set(g.wordings)) for g in found]


def test_folded_forms_and_filler_do_not_split_a_question() -> None:
    assert topic_key("Mất mạng ở nhà văn hóa à?") == topic_key("mat mang o nha van hoa")
    assert topic_key("làm sao đk tk VNeID ạ") == "lam dang ky tai khoan vneid"
    assert topic_key("ở đâu") == "o dau"  # only filler: kept rather than emptied


def test_groups_come_most_asked_first_with_a_readable_example() -> None:
    groups = _groups()
    assert [(count, example) for count, example, _ in groups] == [
        (4, "Nhà văn hóa bị mất mạng à?"),
        (3, "làm sao đăng ký tài khoản VNeID"),
        (2, "đóng thuế đất ở đâu"),  # same count: the most recently asked first
        (2, "lịch tiêm phòng dại cho chó"),
        (1, "xổ số kiến thiết mở thưởng lúc mấy giờ"),
    ]
    assert groups[0][2] == set(ASKED[:4])


def test_contact_details_are_masked_in_every_wording() -> None:
    wordings = {w for _, _, group in _groups() for w in group}
    assert "lam sao dk tk vneid, sdt em [đã ẩn]" in wordings
    assert not any("0912" in w for w in wordings)


def test_first_and_last_seen_span_the_whole_group() -> None:
    found = group_questions((text, T0 + timedelta(hours=i)) for i, text in enumerate(ASKED))
    assert (found[0].first_seen, found[0].last_seen) == (T0, T0 + timedelta(hours=3))
    assert group_questions([]) == []
