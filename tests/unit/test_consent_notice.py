from __future__ import annotations

from services.consent import CONSENT_NOTICE


def test_notice_fits_a_phone_screen_and_says_what_the_law_asks() -> None:
    assert len(CONSENT_NOTICE) <= 600
    for part in (
        "91/2025/QH15",
        "họ tên",
        "số điện thoại/email",
        "ảnh",
        "xử lý và trả lời",
        "lịch sử trò chuyện 90 ngày; ý kiến đến 24 tháng sau khi xử lý xong",
        "thôn",
        "mã cuộc trò chuyện",
        # Leaders and admins see every office's tickets: the notice says so.
        "cán bộ bộ phận phụ trách, lãnh đạo xã và quản trị viên",
        "«xóa dữ liệu của tôi»",
        "Anh/Chị",
    ):
        assert part in CONSENT_NOTICE
    # The periods are the configured ones (test_retention_service), in days and months.
    assert "năm" not in CONSENT_NOTICE
