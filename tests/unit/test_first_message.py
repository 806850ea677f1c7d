"""What the first message already says (laikhe.first_message): content, phone, name."""

from __future__ import annotations

import pytest

from laikhe.first_message import (
    draft_content,
    find_introduced_name,
    find_phone,
    split_name_and_phone,
)

ONE_MESSAGE = (
    "toi muon phan anh duong day internet o thon mau 1 hay bi mat mang, "
    "toi la Nguyen Van Binh sdt 0912000123"
)


@pytest.mark.parametrize(
    "text",
    [
        "gửi góp ý",
        "gui gop y",
        "phản ánh",
        "tôi muốn góp ý",
        "toi muon gop y",
        "tôi muốn gửi phản ánh về việc",
        "em xin gửi kiến nghị ạ",
        "doanh nghiệp chúng tôi muốn gửi kiến nghị",
        "doanh nghiep minh muon de xuat ho tro chuyen doi so",  # a topic, not yet a matter
        "/give_feedback",
        "",
    ],
)
def test_a_trigger_alone_is_no_content(text: str) -> None:
    assert draft_content(text) is None


@pytest.mark.parametrize(
    ("text", "content"),
    [
        (ONE_MESSAGE, "toi muon phan anh duong day internet o thon mau 1 hay bi mat mang"),
        (
            "Tôi là Nguyễn Văn Bình, sđt 0912 000 123. Đường xóm 3 thôn Mẫu 2 bị ngập sâu",
            "Đường xóm 3 thôn Mẫu 2 bị ngập sâu",
        ),
        (
            "đèn đường ở đầu thôn Mẫu 1 hỏng cả tuần nay rồi",
            "đèn đường ở đầu thôn Mẫu 1 hỏng cả tuần nay rồi",
        ),
        (
            "doanh nghiệp chúng tôi đề nghị xã hỗ trợ thủ tục cấp phép xây nhà xưởng",
            "doanh nghiệp chúng tôi đề nghị xã hỗ trợ thủ tục cấp phép xây nhà xưởng",
        ),
    ],
)
def test_the_matter_is_kept_without_the_name_and_phone(text: str, content: str) -> None:
    assert draft_content(text) == content


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        (ONE_MESSAGE, "+84912000123"),
        ("sđt: 0912 000 123", "+84912000123"),
        ("đt 0987.654.321 ạ", "+84987654321"),
        ("so dien thoai la 0987654321", "+84987654321"),
        ("liên hệ +84 912 000 123", "+84912000123"),
        ("ngập sâu 0912000123", "+84912000123"),
    ],
)
def test_a_phone_anywhere_is_found(text: str, phone: str) -> None:
    found = find_phone(text)
    assert found is not None and found.value == phone


@pytest.mark.parametrize(
    "text",
    ["đường ngập 30 cm từ năm 2024", "hotline 1900 1234", "sdt 0912", "mã số thuế 0100109106"],
)
def test_no_phone_is_invented(text: str) -> None:
    assert find_phone(text) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (ONE_MESSAGE, "Nguyen Van Binh"),
        ("Tôi là Nguyễn Văn Bình, sđt 0912000123", "Nguyễn Văn Bình"),
        ("tên tôi là Lê Thị Hoa ở thôn Mẫu 2", "Lê Thị Hoa"),
        ("cháu là Trần Minh Đức. Đèn hỏng", "Trần Minh Đức"),
        ("bác là Phạm Văn Tư", "Phạm Văn Tư"),
        ("em tên Vũ Thu Hà", "Vũ Thu Hà"),
    ],
)
def test_an_introduced_name_is_found(text: str, name: str) -> None:
    found = find_introduced_name(text)
    assert found is not None and found.value == name


@pytest.mark.parametrize(
    "text",
    [
        "tôi là người dân thôn Mẫu 1",
        "tôi là Bình",  # one word: too little to be sure it is a name
        "gặp ông Nguyễn Văn Bình ở xã",  # not introduced by the sender
        "toi la nguyen van binh",  # no capitals: not told apart from ordinary words
    ],
)
def test_no_name_is_guessed(text: str) -> None:
    assert find_introduced_name(text) is None


@pytest.mark.parametrize(
    ("text", "name", "phone"),
    [
        ("Nguyễn Văn An 0912 345 678", "Nguyễn Văn An", "+84912345678"),
        ("Nguyen Van An, sdt 0912345678", "Nguyen Van An", "+84912345678"),
        ("tôi là Trần Thị Lan, số điện thoại 0912.000.102", "Trần Thị Lan", "+84912000102"),
        ("0912345678 - Lê Văn Tuấn", "Lê Văn Tuấn", "+84912345678"),
    ],
)
def test_a_name_and_phone_typed_together_are_split(text: str, name: str, phone: str) -> None:
    assert split_name_and_phone(text) == (name, phone)


def test_a_name_without_a_phone_is_left_whole() -> None:
    assert split_name_and_phone("Nguyễn Văn An") == ("Nguyễn Văn An", None)
    # Too short to be a phone: the whole text stays the name answer (and is refused there).
    assert split_name_and_phone("An 0912") == ("An 0912", None)
