"""The actions' wording moved from Python into domain.yml responses (issue #18, item 6)
without a character changing: each response, rendered with the values its action passes,
is the text the action used to build itself. The expected texts below are the Python
expressions the actions held before the move, with the same values filled in.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from actions.wording import line
from tests.replies import DOMAIN, engine_render, responses

ROOT = Path(__file__).resolve().parents[2]
CODE = "LK-2026-000123"
OFFICE = "Văn phòng HĐND và UBND xã"
DUE = "15/07/2026"
SAVED = {"code": CODE, "office": OFFICE, "due_date": DUE}
MAX_FORM_PHOTOS = 5
count, score = 2, 4

REPLY_HERE = "Cán bộ trả lời qua cuộc trò chuyện này. Anh/Chị lưu mã để tra cứu."
NO_REPLY = "Vì không lưu thông tin liên hệ, xã không trả lời riêng. Mã dùng để tra cứu."


def submitted_text(*, what: str, created: bool, answer_here: bool) -> str:
    """actions.ticket_forms.submitted_text before the move."""
    if created:
        first = f"Đã gửi {what} của Anh/Chị. Mã: {CODE}"
    else:
        first = f"{what[:1].upper()}{what[1:]} này đã được ghi nhận trước đó. Mã: {CODE}"
    lines = [first, f"Đơn vị tiếp nhận: {OFFICE}", f"Hạn trả lời dự kiến: {DUE}"]
    lines.append(REPLY_HERE if answer_here else NO_REPLY)
    return "\n".join(lines)


COMPLAINT_KEPT = "\nNội dung được giữ kín, chỉ cán bộ được giao mới xem."
MISINFO_THANKS = "\nCảm ơn Anh/Chị đã góp phần ngăn tin sai. Anh/Chị không chia sẻ lại tin đó."
PHOTO_NOT_EXPECTED = (
    "Tôi chưa cần ảnh ở bước này nên chưa lưu ảnh. Ảnh được nhận khi Anh/Chị gửi góp ý, "
    "phản ánh (sau bước nhập nội dung)."
)
STALE_BUTTON = (
    "Nút này thuộc một bước đã xong hoặc không phải bước hiện tại, nên không có gì thay đổi."
)

# Response -> (the values its action passes, the text the action built before).
SENT_BY_THE_ENGINE: dict[str, tuple[dict[str, Any], str]] = {
    "utter_which_field": ({}, "Anh/Chị muốn sửa mục nào?"),
    "utter_consent_not_stored": (
        {},
        "Xin lỗi Anh/Chị, hệ thống chưa lưu được lựa chọn. Anh/Chị bấm lại giúp sau ít phút.",
    ),
    "utter_save_failed": (
        {},
        "Xin lỗi Anh/Chị, hệ thống lưu đang gặp sự cố nên nội dung chưa được gửi. "
        "Nội dung vẫn được giữ: Anh/Chị bấm «Gửi lại» sau ít phút.",
    ),
    "utter_system_problem": (
        {},
        "Xin lỗi Anh/Chị, hệ thống đang gặp sự cố nên chưa thực hiện được. "
        "Anh/Chị vui lòng thử lại sau ít phút.",
    ),
    "utter_feedback_sent": (
        SAVED,
        submitted_text(what="ý kiến", created=True, answer_here=True),
    ),
    "utter_feedback_sent_anonymous": (
        SAVED,
        submitted_text(what="ý kiến", created=True, answer_here=False),
    ),
    "utter_feedback_already_sent": (
        SAVED,
        submitted_text(what="ý kiến", created=False, answer_here=True),
    ),
    "utter_feedback_already_sent_anonymous": (
        SAVED,
        submitted_text(what="ý kiến", created=False, answer_here=False),
    ),
    "utter_business_sent": (
        SAVED,
        submitted_text(what="kiến nghị", created=True, answer_here=True),
    ),
    "utter_business_already_sent": (
        SAVED,
        submitted_text(what="kiến nghị", created=False, answer_here=True),
    ),
    "utter_complaint_sent": (
        SAVED,
        submitted_text(what="nội dung khiếu nại, tố cáo", created=True, answer_here=True)
        + COMPLAINT_KEPT,
    ),
    "utter_complaint_already_sent": (
        SAVED,
        submitted_text(what="nội dung khiếu nại, tố cáo", created=False, answer_here=True)
        + COMPLAINT_KEPT,
    ),
    "utter_misinfo_sent": (
        SAVED,
        submitted_text(what="tin báo", created=True, answer_here=True) + MISINFO_THANKS,
    ),
    "utter_misinfo_sent_anonymous": (
        SAVED,
        submitted_text(what="tin báo", created=True, answer_here=False) + MISINFO_THANKS,
    ),
    "utter_misinfo_already_sent": (
        SAVED,
        submitted_text(what="tin báo", created=False, answer_here=True) + MISINFO_THANKS,
    ),
    "utter_misinfo_already_sent_anonymous": (
        SAVED,
        submitted_text(what="tin báo", created=False, answer_here=False) + MISINFO_THANKS,
    ),
    "utter_business_needs_contact": (
        {},
        "Dạ. Kiến nghị của doanh nghiệp cần người liên hệ để Phòng Kinh tế trả lời, "
        "nên tôi chưa ghi nhận. Anh/Chị vẫn có thể gửi góp ý ẩn danh.",
    ),
    "utter_complaint_legal_path": (
        {},
        "Khiếu nại, tố cáo phải làm theo thủ tục của Luật Khiếu nại và Luật Tố cáo: Anh/Chị gửi "
        "đơn tới UBND xã hoặc cơ quan có thẩm quyền giải quyết. Khiếu nại được giải quyết lần "
        "đầu không quá 30 ngày, vụ việc phức tạp không quá 45 ngày (Luật Khiếu nại 2011, "
        "Điều 28).\n"
        "Tôi chỉ hướng dẫn và có thể ghi nhận nội dung để chuyển cán bộ được giao; nội dung được "
        "giữ kín, và việc ghi nhận này không thay cho đơn theo luật.\n"
        "Anh/Chị có muốn ghi nhận nội dung không?",
    ),
    "utter_complaint_needs_contact": (
        {},
        "Dạ. Khiếu nại, tố cáo cần họ tên và số điện thoại để cán bộ liên hệ, nên "
        "tôi chưa ghi nhận. Anh/Chị có thể gửi đơn trực tiếp theo hướng dẫn trên.",
    ),
    "utter_ask_faq_useful": ({}, "Câu trả lời có giúp ích cho Anh/Chị không?"),
    "utter_faq_vote_thanks": ({}, "Cảm ơn Anh/Chị đã đánh giá!"),
    "utter_faq_vote_unclear": (
        {},
        "Cảm ơn Anh/Chị. Anh/Chị có thể gửi câu hỏi để cán bộ xã trả lời trực tiếp.",
    ),
    "utter_clarify": ({}, "Xin lỗi, tôi chưa chắc đã hiểu đúng. Ý Anh/Chị là:"),
    "utter_offer_staff_question": (
        {},
        "Tôi vẫn chưa hiểu rõ câu hỏi. Anh/Chị có muốn gửi câu hỏi này tới cán bộ xã không? "
        "Cán bộ sẽ trả lời qua cuộc trò chuyện này (trợ lý lưu câu hỏi và mã cuộc trò chuyện "
        "để gửi câu trả lời).",
    ),
    "utter_choose_feedback_category": (
        {},
        "Ý kiến của Anh/Chị thuộc lĩnh vực nào? Anh/Chị chọn một mục bên dưới.",
    ),
    "utter_choose_feedback_village": ({}, "Việc này ở thôn nào? Anh/Chị chọn hoặc gõ tên thôn."),
    "utter_feedback_duplicate_found": (
        {"code": CODE},
        f"Xã đã nhận một ý kiến tương tự (cùng lĩnh vực, cùng thôn): mã {CODE}, "
        "đang được xử lý. Anh/Chị có thể theo dõi ý kiến đó thay vì gửi mới.",
    ),
    "utter_feedback_photos_received": (
        {"count": count},
        f"Đã nhận {count} ảnh. Anh/Chị gửi thêm ảnh, hoặc bấm «Xong».",
    ),
    "utter_feedback_photos_offer": (
        {"limit": MAX_FORM_PHOTOS},
        f"Anh/Chị có ảnh chụp minh họa không? Gửi ảnh (tối đa {MAX_FORM_PHOTOS}) "
        "rồi bấm «Xong», hoặc bấm «Không có ảnh».",
    ),
    "utter_not_a_photo": (
        {},
        "Tôi chưa nhận được ảnh này. Anh/Chị gửi ảnh bằng biểu tượng đính kèm 📎, "
        "hoặc bấm nút bên dưới.",
    ),
    "utter_photos_full": ({"limit": MAX_FORM_PHOTOS}, f"Đã nhận đủ {MAX_FORM_PHOTOS} ảnh."),
    "utter_photo_added": (
        {"count": count, "limit": MAX_FORM_PHOTOS},
        f"Đã nhận {count} ảnh (tối đa {MAX_FORM_PHOTOS}).",
    ),
    "utter_feedback_anonymous": (
        {},
        "Dạ. Anh/Chị vẫn gửi được góp ý ẩn danh: không lưu tên, số điện thoại "
        "hay mã cuộc trò chuyện, nên xã không trả lời riêng.",
    ),
    "utter_press_reading_button": ({}, "Anh/Chị bấm «Đúng» hoặc chọn mục cần sửa giúp."),
    "utter_choose_feedback_kind_by_button": (
        {},
        "Anh/Chị chọn loại ý kiến bằng các nút bên dưới giúp.",
    ),
    "utter_choose_feedback_category_by_button": (
        {},
        "Anh/Chị vui lòng chọn một lĩnh vực bằng các nút bên dưới.",
    ),
    "utter_feedback_village_unknown": (
        {},
        "Tôi chưa nhận ra tên thôn này. Anh/Chị chọn một thôn bên dưới hoặc bấm «bỏ qua».",
    ),
    "utter_send_photo_or_press": (
        {},
        "Anh/Chị gửi ảnh (bấm biểu tượng đính kèm 📎), hoặc bấm nút bên dưới.",
    ),
    "utter_detail_added": ({}, "Dạ, tôi đã thêm vào nội dung ý kiến (xem lại ở bước cuối)."),
    "utter_feedback_following": (
        {"code": CODE},
        f"Dạ, Anh/Chị theo dõi ý kiến {CODE}. Xã không tạo ý kiến mới. "
        f"Để xem tiến độ, gõ «tra cứu {CODE}» hoặc bấm nút bên dưới.",
    ),
    "utter_bad_ticket_button": (
        {},
        "Nút này không còn dùng được hoặc không đúng. Anh/Chị gõ «tra cứu» kèm mã ý kiến "
        "để xem lại, ví dụ: tra cứu LK-2026-000123.",
    ),
    "utter_confirm_withdraw": (
        {"code": CODE},
        f"Anh/Chị chắc chắn muốn rút ý kiến {CODE}? Ý kiến đã rút sẽ không được xử lý nữa.",
    ),
    "utter_withdrawn": (
        {"code": CODE},
        f"Đã rút ý kiến {CODE}. Cảm ơn Anh/Chị đã báo lại cho xã.",
    ),
    "utter_rated": (
        {"score": score, "code": CODE},
        f"Cảm ơn Anh/Chị đã đánh giá {score}/5 cho kết quả xử lý ý kiến {CODE}. "
        "Ý kiến của Anh/Chị giúp xã phục vụ tốt hơn.",
    ),
    "utter_ask_reopen_reason": (
        {"code": CODE},
        f"Anh/Chị cho biết vì sao vấn đề trong ý kiến {CODE} chưa được giải quyết "
        "(vài câu). Gõ «hủy» nếu muốn dừng.",
    ),
    "utter_ask_added_information": (
        {"code": CODE},
        f"Anh/Chị gõ nội dung cần bổ sung cho ý kiến {CODE} (vài câu). Gõ «hủy» nếu muốn dừng.",
    ),
    "utter_information_added": (
        {"code": CODE},
        f"Đã bổ sung thông tin vào ý kiến {CODE}. Cán bộ phụ trách sẽ xem cùng ý kiến của Anh/Chị.",
    ),
    "utter_reopened": (
        {"code": CODE, "due_date": DUE},
        f"Đã mở lại ý kiến {CODE} và chuyển lại cho cán bộ phụ trách.\nHạn trả lời mới: {DUE}",
    ),
    "utter_photo_not_expected": ({}, PHOTO_NOT_EXPECTED),
    "utter_photo_not_expected_menu": (
        {},
        f"{PHOTO_NOT_EXPECTED} Anh/Chị cần gì cứ chọn mục bên dưới.",
    ),
    "utter_stale_button": ({}, STALE_BUTTON),
    "utter_stale_button_menu": ({}, f"{STALE_BUTTON} Anh/Chị cần gì cứ chọn mục bên dưới."),
    "utter_erasure_failed": (
        {},
        "Xin lỗi Anh/Chị, hệ thống đang gặp sự cố nên dữ liệu chưa được xóa. "
        "Anh/Chị vui lòng gõ «xóa dữ liệu của tôi» lại sau ít phút.",
    ),
    "utter_consent_not_stored_retry": (
        {},
        "Xin lỗi Anh/Chị, hệ thống chưa lưu được lựa chọn. Anh/Chị vui lòng bấm lại sau ít phút.",
    ),
    "utter_human_question_not_sent": (
        {},
        "Câu hỏi chưa được gửi: cán bộ cần lưu mã cuộc trò chuyện để trả lời "
        "Anh/Chị. Anh/Chị vẫn có thể gửi góp ý ẩn danh (không nhận trả lời), "
        "hoặc liên hệ trực tiếp Ủy ban nhân dân xã.",
    ),
    "utter_human_question_save_failed": (
        {},
        "Xin lỗi Anh/Chị, hệ thống đang gặp sự cố nên câu hỏi chưa được gửi. "
        "Anh/Chị vui lòng thử lại sau ít phút.",
    ),
    "utter_human_question_sent": (
        SAVED,
        f"Đã gửi câu hỏi tới {OFFICE}. Mã: {CODE}\n"
        "Cán bộ sẽ trả lời qua cuộc trò chuyện này.\n"
        f"Hạn trả lời dự kiến: {DUE}",
    ),
    "utter_ticket_not_found": (
        {"code": CODE},
        f"Không tìm thấy ý kiến có mã {CODE}. Anh/Chị kiểm tra lại mã trong tin nhắn xác nhận.",
    ),
    "utter_bad_ticket_code": (
        {},
        "Mã này không đúng dạng. Mã ý kiến có dạng LK-2026-000123 (ghi trong tin nhắn xác nhận). "
        "Anh/Chị gõ lại mã, hoặc gõ «hủy» để dừng.",
    ),
    # Was actions.status.ASK_CODE; the response already held the same words.
    "utter_ask_ticket_code": (
        {},
        "Anh/Chị vui lòng gõ mã ý kiến cần tra cứu (dạng LK-2026-000123).",
    ),
}

CONTENT = "Wifi ở nhà văn hóa mất từ 0[sáng] {thứ Hai}"  # typed: braces and "0[" kept as is
# Response -> (values, the line the action wrote before) for the lines put together by
# the actions (actions.wording.line).
LINES: dict[str, tuple[dict[str, Any], str]] = {
    "utter_line_send_or_edit": ({}, "Bấm «Gửi» để gửi tới xã, «Sửa» để sửa một mục, hoặc «Hủy»."),
    "utter_line_reading_kind": ({"kind": "Phản ánh"}, "• Loại: Phản ánh"),
    "utter_line_reading_category": ({"category": "Giao thông"}, "• Lĩnh vực: Giao thông"),
    "utter_line_feedback_summary": ({}, "Anh/Chị kiểm tra lại ý kiến:"),
    "utter_line_summary_kind": ({"kind": "Góp ý"}, "• Loại: Góp ý"),
    "utter_line_summary_kind_anonymous": (
        {"kind": "Góp ý"},
        f"• Loại: Góp ý{' (ẩn danh)' if True else ''}",
    ),
    "utter_line_summary_category": ({"category": "Giao thông"}, "• Lĩnh vực: Giao thông"),
    "utter_line_summary_no_category": ({}, f"• Lĩnh vực: {'Khác'}"),
    "utter_line_summary_village": ({"village": "Thôn Mẫu 1"}, "• Thôn: Thôn Mẫu 1"),
    "utter_line_summary_no_village": ({}, f"• Thôn: {'Không ghi thôn'}"),
    "utter_line_summary_content": ({"content": CONTENT}, f"• Nội dung: {CONTENT}"),
    "utter_line_summary_name": ({"name": "Nguyễn Văn An"}, "• Họ tên: Nguyễn Văn An"),
    "utter_line_summary_phone": ({"phone": "0912345678"}, "• Điện thoại: 0912345678"),
    "utter_line_summary_photos": ({"count": count}, f"• Ảnh: {count}"),
    "utter_line_summary_photo_hint": (
        {"limit": MAX_FORM_PHOTOS},
        "Có ảnh minh họa? Anh/Chị gửi ảnh ngay tại đây (tối đa 5).",
    ),
    "utter_line_business_summary": ({}, "Anh/Chị kiểm tra lại kiến nghị của doanh nghiệp:"),
    "utter_line_complaint_summary": (
        {},
        "Anh/Chị kiểm tra lại nội dung khiếu nại, tố cáo (được giữ kín):",
    ),
    "utter_line_misinfo_summary": ({}, "Anh/Chị kiểm tra lại tin báo:"),
    "utter_line_summary_field": (
        {"label": "Nội dung", "value": CONTENT},
        f"• {'Nội dung'}: {CONTENT}",
    ),
    "utter_line_status_title": ({"code": CODE}, f"Ý kiến {CODE}"),
    "utter_line_status_kind": ({"kind": "Phản ánh"}, "• Loại: Phản ánh"),
    "utter_line_status_state": ({"state": "Mới tiếp nhận"}, "• Trạng thái: Mới tiếp nhận"),
    "utter_line_status_office": ({"office": OFFICE}, f"• Đơn vị xử lý: {OFFICE}"),
    "utter_line_status_due_date": ({"due_date": DUE}, f"• Hạn trả lời: {DUE}"),
    "utter_line_status_category": ({"category": "Giao thông"}, "• Lĩnh vực: Giao thông"),
    "utter_line_status_content": ({"content": CONTENT}, f"• Nội dung: {CONTENT}"),
    "utter_line_status_ask_rating": ({}, "Anh/Chị hài lòng với kết quả ở mức nào (1 đến 5 sao)?"),
    "utter_line_my_tickets": ({}, "Các ý kiến Anh/Chị đã gửi từ cuộc trò chuyện này:"),
    "utter_line_my_ticket": (
        {"code": CODE, "date": DUE, "state": "Mới tiếp nhận", "preview": CONTENT},
        f"• {CODE} ({DUE}): {'Mới tiếp nhận'}. {CONTENT}",
    ),
    "utter_line_my_tickets_hint": (
        {},
        "Anh/Chị bấm một mã để xem chi tiết, hoặc gõ mã khác. Gõ «hủy» để dừng.",
    ),
    # The erasure summary's lines (tests/integration/test_erasure_links.py checks them
    # put together).
    "utter_line_erased": ({}, "Đã xóa dữ liệu cá nhân của Anh/Chị:"),
    "utter_line_erased_tickets": (
        {"count": count},
        f"• {count} ý kiến đã được xóa nội dung và thông tin liên hệ.",
    ),
    "utter_line_erased_withdrawn": (
        {"count": count},
        f"• {count} ý kiến đang xử lý đã được rút lại.",
    ),
    "utter_line_erased_attachments": ({"count": count}, f"• {count} ảnh/tệp đã được xóa."),
    "utter_line_erased_consents": ({}, "• Các lần đồng ý xử lý dữ liệu đã được xóa."),
    "utter_line_erasing_group_messages": (
        {"count": count},
        f"• {count} tin nhắn về ý kiến của Anh/Chị trong nhóm cán bộ xã đang được gỡ.",
    ),
    "utter_line_erased_conversation": (
        {},
        "• Lịch sử trò chuyện với trợ lý và các câu trợ lý chưa hiểu cũng được xóa.",
    ),
    "utter_line_kept": ({}, "Vẫn còn:"),
    "utter_line_kept_statistics": (
        {},
        "• Số liệu thống kê của ý kiến (loại, lĩnh vực, thôn, ngày, kết quả xử lý) "
        "cho báo cáo của xã, không gắn với Anh/Chị.",
    ),
    "utter_line_kept_group_messages": (
        {"count": count},
        f"• {count} tin nhắn cũ trong nhóm cán bộ xã: Telegram chỉ "
        "cho trợ lý xóa tin gửi trong vòng 48 giờ.",
    ),
    "utter_line_kept_staff_copies": (
        {},
        "• Tin cán bộ tự viết, hoặc đã nhận riêng khi xem ý kiến (nếu có).",
    ),
    "utter_line_kept_on_device": (
        {},
        "• Tin nhắn đang hiện trên máy của Anh/Chị: Anh/Chị tự xóa được.",
    ),
}


@pytest.mark.parametrize("name", list(SENT_BY_THE_ENGINE))
def test_a_moved_response_renders_the_old_text(name: str) -> None:
    values, before = SENT_BY_THE_ENGINE[name]
    [variant] = responses()[name]
    # As the engine fills it from the values the action passes (tests/replies.py).
    assert engine_render(variant["text"], values) == before
    assert "buttons" not in variant  # buttons stay with the action, which adds them


@pytest.mark.parametrize("name", list(LINES))
def test_a_moved_line_renders_the_old_text(name: str) -> None:
    values, before = LINES[name]
    assert line(DOMAIN, name, **values) == before


def test_a_line_never_refills_what_the_resident_typed() -> None:
    # The engine would send "{summary}" bare for a value holding "0[", and would read
    # "{thứ Hai}" in a template as a placeholder; filled in by the action, both stay text.
    assert line(DOMAIN, "utter_line_summary_content", content=CONTENT) == f"• Nội dung: {CONTENT}"


def _names_in_actions() -> set[str]:
    """Every response name written in actions/*.py, and those say_submitted builds."""
    names = set()
    for path in (ROOT / "actions").glob("*.py"):
        names |= set(re.findall(r"[\"'](utter_[a-z_]+)[\"']", path.read_text(encoding="utf-8")))
    for form, answer_here in [
        ("feedback", True),
        ("feedback", False),
        ("business", True),
        ("complaint", True),
        ("misinfo", True),
        ("misinfo", False),
    ]:
        for outcome in ("sent", "already_sent"):
            names.add(f"utter_{form}_{outcome}" + ("" if answer_here else "_anonymous"))
    names |= {f"{name}_menu" for name in ("utter_photo_not_expected", "utter_stale_button")}
    return names


def test_every_response_an_action_names_is_in_the_domain() -> None:
    # The engine drops a message whose response is missing, without an error.
    assert sorted(_names_in_actions() - set(responses())) == []


def test_every_moved_response_is_used_by_an_action() -> None:
    moved = set(SENT_BY_THE_ENGINE) | set(LINES)
    assert sorted(moved - _names_in_actions()) == []
