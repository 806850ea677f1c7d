"""What the engine's reading of a first message proposes (laikhe.opinion)."""

from __future__ import annotations

from typing import Any

import pytest

from laikhe.opinion import (
    FIELD_MIN,
    KIND_MIN,
    OPINION_KINDS,
    Proposal,
    asks_how,
    offers_to_send,
    propose,
)

CATEGORIES = ("vneid", "dich_vu_cong", "ha_tang_so", "khac")


def read(kinds: dict[str, float], fields: list[tuple[str, float]]) -> dict[str, Any]:
    return {
        "kinds": kinds,
        "fields": [{"name": name, "confidence": p} for name, p in fields],
        "offer": False,
        "redirected_from": None,
    }


def test_a_clear_reading_proposes_kind_and_field_with_the_likely_fields() -> None:
    reading = read(
        {"phan_anh": 0.8, "kien_nghi": 0.1, "gop_y": 0.0, "cau_hoi": 0.0, "khac": 0.1},
        [("vneid", 0.7), ("dich_vu_cong", 0.2), ("chu_ky_so", 0.1)],
    )
    assert propose(reading, CATEGORIES) == Proposal("phan_anh", "vneid", ("vneid", "dich_vu_cong"))


def test_the_kind_share_ignores_what_is_no_form_kind() -> None:
    # "khac" (neither) takes most, but among the form's kinds phản ánh is clear.
    reading = read({"phan_anh": 0.3, "kien_nghi": 0.1, "khac": 0.6}, [("vneid", 0.9)])
    assert propose(reading, CATEGORIES) == Proposal("phan_anh", "vneid", ("vneid",))


def test_an_unclear_kind_or_field_is_not_proposed_but_the_likely_fields_stay() -> None:
    below = FIELD_MIN - 0.01
    reading = read(
        {"phan_anh": 0.45, "kien_nghi": 0.45, "gop_y": 0.1},
        [("ha_tang_so", below), ("khac", 0.3)],
    )
    assert KIND_MIN > 0.45
    assert propose(reading, CATEGORIES) == Proposal(None, None, ("ha_tang_so", "khac"))


def test_a_field_the_commune_does_not_configure_is_never_proposed() -> None:
    reading = read({"gop_y": 1.0}, [("chu_ky_so", 0.9), ("khac", 0.1)])
    assert propose(reading, CATEGORIES) == Proposal("gop_y", None, ("khac",))


@pytest.mark.parametrize("reading", [None, "x", {"kinds": {}}, {"kinds": {}, "fields": []}])
def test_no_reading_proposes_nothing(reading: Any) -> None:
    assert propose(reading, CATEGORIES) is None


def test_a_proposal_survives_its_slot() -> None:
    proposal = Proposal("kien_nghi", None, ("khac", "vneid"))
    assert Proposal.from_slot(proposal.as_slot()) == proposal
    assert Proposal.from_slot(None) is None


def test_only_an_offer_flag_offers() -> None:
    assert offers_to_send({"opinion": {**read({}, []), "offer": True}})
    assert not offers_to_send({"opinion": read({}, [])})
    assert not offers_to_send({})


def test_a_message_that_starts_the_form_is_read_as_an_opinion_kind() -> None:
    reading = read({"cau_hoi": 0.6, "phan_anh": 0.3, "kien_nghi": 0.1}, [("vneid", 0.9)])
    assert propose(reading, CATEGORIES).kind == "cau_hoi"  # type: ignore[union-attr]
    started = propose(reading, CATEGORIES, OPINION_KINDS)
    assert started is not None and started.kind == "phan_anh"


def test_an_opinion_of_unsaid_kind_proposes_no_kind() -> None:
    # "gửi góp ý" alone: the reader is sure it is an opinion, not of which kind.
    reading = read({"y_kien": 0.76, "gop_y": 0.01, "cau_hoi": 0.14}, [("khac", 0.2)])
    assert propose(reading, CATEGORIES, OPINION_KINDS) == Proposal(None, None, ("khac",))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("toi muon phan anh duong day internet o thon mau 1 hay bi mat mang", "phan_anh"),
        ("Kiến nghị xã lắp thêm đèn đường", "kien_nghi"),
        ("góp ý về trang thông tin của xã", "gop_y"),
        ("phản ánh và kiến nghị về việc cấp điện", None),  # two named: the reading decides
        ("đường ngõ 3 ngập nước", None),
        # The words of a request, when no kind is named.
        ("Nhờ xã báo nhà mạng dựng lại cột sóng bị đổ", "kien_nghi"),
        ("xin xa cho lap them wifi o cho", "kien_nghi"),
        ("đề nghị cán bộ gọi lại giúp tôi", "kien_nghi"),
        ("tôi muốn phản ánh, đề nghị xã sửa đèn", "phan_anh"),  # the named kind wins
        ("cơ sở sản xuất nhỏ như nhà tôi mất mạng cả tuần", None),  # «nhỏ», not «nhờ xã»
    ],
)
def test_a_kind_the_resident_names_is_the_kind(text: str, kind: str | None) -> None:
    unsure = read({"y_kien": 0.9, "phan_anh": 0.05, "kien_nghi": 0.05}, [("khac", 0.9)])
    proposal = propose(unsure, CATEGORIES, OPINION_KINDS, text=text)
    assert proposal is not None and proposal.kind == kind


def test_a_message_with_no_matter_gets_no_field() -> None:
    reading = read({"y_kien": 0.9}, [("khac", 0.9), ("vneid", 0.05)])
    assert propose(reading, CATEGORIES, OPINION_KINDS, text="phản ánh", field_read=False) == (
        Proposal("phan_anh", None, ("khac", "vneid"))
    )


@pytest.mark.parametrize(
    "text",
    [
        "Mẹ tôi bị tiểu đường, tôi muốn xem đơn thuốc của bà thì mở chỗ nào",
        "toi chi con ho chieu, vay lam chu ky so dc ko",
        "dang ky vneid the nao",
        "VNeID là gì",
        "xem tien do kieu j",
        "làm ntn ạ",
        "co mat phi ko a",
        "nộp hồ sơ online mất bao lâu",
        "trên cổng dịch vụ công làm được những gì",
        "muốn cài vneid cho bố thì gặp ai",
        "hoi ai de dc huong dan chu ky so",
        "bình dân học vụ số là phong trào j",
        "10/10 la ngay gi",
        "bán hàng online làm từ bước nào",
        "trang dvc that la trang nao",
        "em can nop giay to len mang ma ko biet vao web nao",
        "Những điều tôi kể thì cán bộ nào được đọc?",
        "gop y qua chat nay thi may ngay lam viec xa moi phan hoi",
        "muon dung so suc khoe thi tk phai len muc may",
        "làm chữ ký số mất bao nhiêu tiền",
        "cho xin so dt bo phan mot cua",
        "Cho tôi xin đường dẫn vào cổng dịch vụ công",
        "có phải đóng tiền không",
        "xã hỗ trợ gì cho hộ kinh doanh",
        "bỏ trống họ tên được chứ",
        "làm hộ trên máy em được ạ",
        "xã có lớp dạy bán hàng online không ạ",
        "họ hỗ trợ được mình các việc như nộp hồ sơ không?",
        "o thon ai ho tro nguoi dan dung cac nen tang so vay",
        "gửi ý kiến qua trợ lý thì mất mấy ngày",
        "muốn nhờ tổ công nghệ số sang cài máy thì gọi ai",
        "mat the can cuoc thi bao ai",
        "ủy ban treo băng rôn 10/10, là dịp gì",
        "chỉ em cách mở sổ sức khỏe với",
        "chi duong vao muc giay to voi",
        "người già thì học cái gì?",
    ],
)
def test_a_message_that_asks_how_where_or_what(text: str) -> None:
    assert asks_how(text)


@pytest.mark.parametrize(
    "text",
    [
        "sao mãi chưa duyệt hồ sơ",
        "bao giờ xã mới sửa đèn đường?",
        "đèn đường thôn Mẫu 2 hỏng cả tháng",
        "gọi điện không ai trả lời",
        "không ai hướng dẫn",
        "hỏi mãi không ai trả lời",
        "đường thôn tối om, ai đi cũng sợ",
        "lúc nào cũng mất mạng",
        "vneid không biết là bị gì mà không vào được",
        "chẳng cán bộ nào nghe máy",
        "cái nào cũng lỗi",
        "mấy hôm nay mất mạng suốt, gọi thì tổng đài mới bảo chờ",
        "chữ ký số được chứng thực rồi mà vẫn lỗi",
        "cho tôi xin phép phản ánh việc mất mạng",
        "không thấy ai trả lời vậy",
        "có ai đó gọi điện xưng công an",
        "sổ sức khỏe không có lần khám nào",
        "nộp hồ sơ mất mấy ngày rồi mà chưa có kết quả",
        "mạng mất chỉ cách đây hai hôm",
        "cắt điện cả ngày mà không báo ai",
        "chị em trong thôn muốn học dùng điện thoại",
        "cán bộ hướng dẫn mà tôi chẳng hiểu cái gì",
        "",
    ],
)
def test_a_complaint_or_a_statement_does_not_ask(text: str) -> None:
    assert not asks_how(text)
