"""Ticket status look-up by code. Another chat sees the state, office and due date only."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import get_runtime
from laikhe.labels import KIND_LABELS, STATE_LABELS, format_date
from services.tickets import parse_ticket_code, ticket_status

BAD_CODE = (
    "Mã này không đúng dạng. Mã ý kiến có dạng LK-2026-000123 (ghi trong tin nhắn xác nhận). "
    "Anh/Chị gõ lại mã, hoặc gõ «hủy» để dừng."
)


class ValidateTicketStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_status_form"

    async def validate_ticket_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = parse_ticket_code(str(value or ""))
        if code is None:
            dispatcher.utter_message(text=BAD_CODE)
        return {"ticket_code": code}


class CheckTicketStatus(Action):
    def name(self) -> str:
        return "action_check_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        code = parse_ticket_code(str(tracker.get_slot("ticket_code") or ""))
        if code is None:
            dispatcher.utter_message(text=BAD_CODE)
            return [SlotSet("ticket_code", None)]
        async with get_runtime().sessions() as session:
            status = await ticket_status(session=session, code=code, sender_id=tracker.sender_id)
        if status is None:
            dispatcher.utter_message(
                text=(
                    f"Không tìm thấy ý kiến có mã {code}. "
                    "Anh/Chị kiểm tra lại mã trong tin nhắn xác nhận."
                )
            )
            return [SlotSet("ticket_code", None)]
        lines = [
            f"Ý kiến {status.code}",
            f"• Trạng thái: {STATE_LABELS.get(status.state, status.state)}",
            f"• Đơn vị xử lý: {status.office_name}",
            f"• Hạn trả lời: {format_date(status.due_date)}",
        ]
        if status.is_owner:
            lines.insert(1, f"• Loại: {KIND_LABELS.get(status.kind, status.kind)}")
            if status.category_name:
                lines.append(f"• Lĩnh vực: {status.category_name}")
            if status.content is not None:
                lines.append(f"• Nội dung: {status.content}")
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("ticket_code", None)]
