"""«Xóa dữ liệu của tôi»: after a confirmation, erase this chat's personal data.

The ticket database is erased here (services/privacy.erase_personal_data). The engine's
record of this conversation cannot be: the engine stores the turn after this action
returns. So the answer carries a signal, a custom message {"erase_conversation": true},
and the bot erases the tracker store rows once the reply has been delivered.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.runtime import channel_of, get_runtime
from laikhe.logsafe import pseudonym
from services.privacy import ErasureReport, erase_personal_data

logger = logging.getLogger(__name__)

# The contract with bot/conversation.py.
ERASE_CONVERSATION_SIGNAL: Final = {"erase_conversation": True}


def erasure_summary(report: ErasureReport) -> str:
    """What was erased and, as truthfully, what was not and why."""
    lines = ["Đã xóa dữ liệu cá nhân của Anh/Chị:"]
    if report.tickets:
        lines.append(f"• {report.tickets} ý kiến đã được xóa nội dung và thông tin liên hệ.")
    if report.withdrawn:
        lines.append(f"• {report.withdrawn} ý kiến đang xử lý đã được rút lại.")
    if report.attachments:
        lines.append(f"• {report.attachments} ảnh/tệp đã được xóa.")
    if report.consent_records:
        lines.append("• Các lần đồng ý xử lý dữ liệu đã được xóa.")
    if report.group_messages_deleting:
        lines.append(
            f"• {report.group_messages_deleting} tin nhắn về ý kiến của Anh/Chị trong nhóm "
            "cán bộ xã đang được gỡ."
        )
    # Erased by the bot once this reply is delivered (bot/__main__.eraser_for).
    lines.append("• Lịch sử trò chuyện với trợ lý và các câu trợ lý chưa hiểu cũng được xóa.")
    lines.append("Vẫn còn:")
    if report.tickets:
        lines.append(
            "• Số liệu thống kê của ý kiến (loại, lĩnh vực, thôn, ngày, kết quả xử lý) "
            "cho báo cáo của xã, không gắn với Anh/Chị."
        )
    if report.group_messages_kept:
        lines.append(
            f"• {report.group_messages_kept} tin nhắn cũ trong nhóm cán bộ xã: Telegram chỉ "
            "cho trợ lý xóa tin gửi trong vòng 48 giờ."
        )
    if report.tickets:
        lines.append("• Tin cán bộ tự viết, hoặc đã nhận riêng khi xem ý kiến (nếu có).")
    lines.append("• Tin nhắn đang hiện trên máy của Anh/Chị: Anh/Chị tự xóa được.")
    return "\n".join(lines)


class DeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reset = [SlotSet("delete_confirm", None), SlotSet("requested_slot", None)]
        if tracker.get_slot("delete_confirm") is not True:
            dispatcher.utter_message(response="utter_delete_kept")
            return reset
        try:
            async with get_runtime().sessions() as session:
                report = await erase_personal_data(
                    session=session, channel=channel_of(tracker), sender_id=tracker.sender_id
                )
                await session.commit()
        except SQLAlchemyError:
            logger.exception("erasure failed for %s", pseudonym(tracker.sender_id))
            dispatcher.utter_message(
                text=(
                    "Xin lỗi Anh/Chị, hệ thống đang gặp sự cố nên dữ liệu chưa được xóa. "
                    "Anh/Chị vui lòng gõ «xóa dữ liệu của tôi» lại sau ít phút."
                )
            )
            return reset
        dispatcher.utter_message(text=erasure_summary(report))
        dispatcher.utter_message(json_message=dict(ERASE_CONVERSATION_SIGNAL))
        return reset
