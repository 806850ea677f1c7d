"""Vietnamese labels for ticket kinds and states, as residents and staff read them."""

from __future__ import annotations

KIND_LABELS: dict[str, str] = {
    "gop_y": "Góp ý",
    "phan_anh": "Phản ánh",
    "kien_nghi": "Kiến nghị",
    "cau_hoi": "Câu hỏi",
    "thong_tin_sai": "Báo tin sai sự thật",
    "khieu_nai_to_cao": "Khiếu nại, tố cáo",
}

STATE_LABELS: dict[str, str] = {
    "new": "Mới tiếp nhận",
    "assigned": "Đã giao cán bộ xử lý",
    "answered": "Đã trả lời",
    "closed": "Đã đóng",
    "forwarded": "Đã chuyển cơ quan có thẩm quyền",
    "rejected": "Không tiếp nhận",
    "duplicate": "Trùng với ý kiến đã gửi",
    "withdrawn": "Đã rút",
    "reopened": "Được mở lại",
}


def format_date(value: object) -> str:
    """dd/mm/yyyy, the way Vietnamese administrative text writes dates."""
    from datetime import date

    if not isinstance(value, date):
        raise TypeError(f"not a date: {value!r}")
    return value.strftime("%d/%m/%Y")
