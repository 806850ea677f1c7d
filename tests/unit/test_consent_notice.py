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
        "cán bộ phụ trách của xã",
        "«xóa dữ liệu của tôi»",
        "Anh/Chị",
    ):
        assert part in CONSENT_NOTICE
    # No retention period is invented: the commune's archive rule decides.
    assert "năm" not in CONSENT_NOTICE
