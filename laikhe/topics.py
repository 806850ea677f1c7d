"""Short Vietnamese titles of FAQ topics and intents, for "Ý Anh/Chị là..." buttons."""

from __future__ import annotations

FAQ_TOPIC_TITLES: dict[str, str] = {
    "nq57_overview": "Nghị quyết 57 là gì",
    "nq57_goals": "Mục tiêu của Nghị quyết 57",
    "nq57_local_plan": "Xã thực hiện Nghị quyết 57",
    "nq57_business_support": "Chính sách hỗ trợ doanh nghiệp",
    "vneid_register": "Đăng ký tài khoản VNeID",
    "vneid_update": "Cập nhật giấy tờ trên VNeID",
    "vneid_forgot_password": "Quên mật khẩu VNeID",
    "ehealth_book": "Sổ sức khỏe điện tử",
    "digital_signature": "Chữ ký số",
    "cashless_payment": "Thanh toán không dùng tiền mặt",
    "online_public_services": "Dịch vụ công trực tuyến",
    "binh_dan_hoc_vu_so": "Bình dân học vụ số",
    "digital_skills_support": "Tổ công nghệ số cộng đồng",
    "ecommerce": "Bán hàng trực tuyến",
    "digital_transformation_day": "Ngày hội chuyển đổi số",
    "feedback_process": "Ý kiến được xử lý thế nào",
    "privacy": "Dữ liệu cá nhân",
    "office_contact": "Liên hệ các phòng, ban xã",
}

INTENT_TITLES: dict[str, str] = {
    "give_feedback": "Gửi góp ý, phản ánh",
    "business_proposal": "Đề xuất của doanh nghiệp",
    "report_misinformation": "Báo tin sai sự thật",
    "file_complaint": "Khiếu nại, tố cáo",
    "check_ticket_status": "Tra cứu ý kiến đã gửi",
    "delete_my_data": "Xóa dữ liệu của tôi",
    "request_human": "Gặp cán bộ",
    "help": "Hướng dẫn sử dụng",
}
