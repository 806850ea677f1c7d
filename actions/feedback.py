"""The resident feedback form: ask by buttons, validate, confirm, create the ticket."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import channel_of, get_runtime, save_ticket
from db.models import TicketKind
from laikhe.labels import format_date
from laikhe.validators import match_choice, validate_feedback_text
from services.tickets import NewTicket, list_categories, list_villages

logger = logging.getLogger(__name__)

FORM_SLOTS = ("feedback_category", "feedback_content", "feedback_village", "feedback_confirm")
NO_VILLAGE = "none"


def _reset_form() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


async def _category_choices() -> dict[str, str]:
    async with get_runtime().sessions() as session:
        return {c.code: c.name for c in await list_categories(session=session)}


async def _village_choices() -> dict[str, str]:
    async with get_runtime().sessions() as session:
        return {
            v.code: f"{v.name} (mẫu)" if v.is_sample else v.name
            for v in await list_villages(session=session)
        }


def inform_payload(entity: str, value: str) -> str:
    return f'/inform{{"{entity}":"{value}"}}'


class AskFeedbackCategory(Action):
    def name(self) -> str:
        return "action_ask_feedback_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        choices = await _category_choices()
        dispatcher.utter_message(
            text="Ý kiến của Anh/Chị thuộc lĩnh vực nào? Anh/Chị chọn một mục bên dưới.",
            buttons=[
                {"title": name, "payload": inform_payload("category", code)}
                for code, name in choices.items()
            ],
        )
        return []


class AskFeedbackVillage(Action):
    def name(self) -> str:
        return "action_ask_feedback_village"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        choices = await _village_choices()
        buttons = [
            {"title": name, "payload": inform_payload("village", code)}
            for code, name in choices.items()
        ]
        buttons.append(
            {"title": "Không theo thôn / bỏ qua", "payload": inform_payload("village", NO_VILLAGE)}
        )
        dispatcher.utter_message(
            text="Việc này ở thôn nào? Anh/Chị chọn hoặc gõ tên thôn.", buttons=buttons
        )
        return []


class AskFeedbackConfirm(Action):
    def name(self) -> str:
        return "action_ask_feedback_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        categories = await _category_choices()
        villages = await _village_choices()
        category = categories.get(str(tracker.get_slot("feedback_category")), "Khác")
        village_code = tracker.get_slot("feedback_village")
        village = villages.get(str(village_code), "Không ghi thôn")
        dispatcher.utter_message(
            text=(
                "Anh/Chị kiểm tra lại ý kiến:\n"
                f"• Lĩnh vực: {category}\n"
                f"• Thôn: {village}\n"
                f"• Nội dung: {tracker.get_slot('feedback_content')}\n"
                "Bấm «Gửi» để gửi tới xã, hoặc «Hủy»."
            ),
            buttons=[
                {"title": "Gửi", "payload": "/affirm"},
                {"title": "Hủy", "payload": "/cancel"},
            ],
        )
        return []


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    async def validate_feedback_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = match_choice(str(value or ""), await _category_choices())
        if code is None:
            dispatcher.utter_message(
                text="Anh/Chị vui lòng chọn một lĩnh vực bằng các nút bên dưới."
            )
        return {"feedback_category": code}

    async def validate_feedback_content(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text, problem = validate_feedback_text(str(value or ""))
        if problem:
            dispatcher.utter_message(text=problem)
        return {"feedback_content": text}

    async def validate_feedback_village(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NO_VILLAGE:
            return {"feedback_village": NO_VILLAGE}
        code = match_choice(str(value or ""), await _village_choices())
        if code is None:
            dispatcher.utter_message(
                text=(
                    "Tôi chưa nhận ra tên thôn này. "
                    "Anh/Chị chọn một thôn bên dưới hoặc bấm «bỏ qua»."
                )
            )
        return {"feedback_village": code}


class SubmitFeedback(Action):
    def name(self) -> str:
        return "action_submit_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("feedback_confirm") is not True:
            dispatcher.utter_message(response="utter_feedback_cancelled")
            return _reset_form()
        village = tracker.get_slot("feedback_village")
        saved = await save_ticket(
            NewTicket(
                kind=TicketKind.GOP_Y,
                content=str(tracker.get_slot("feedback_content")),
                channel=channel_of(tracker),
                sender_id=tracker.sender_id,
                category_code=tracker.get_slot("feedback_category"),
                village_code=None if village in (None, NO_VILLAGE) else str(village),
            )
        )
        if saved is None:
            # Keep what the resident typed: only the confirmation is asked again.
            dispatcher.utter_message(
                text=(
                    "Xin lỗi Anh/Chị, hệ thống lưu ý kiến đang gặp sự cố nên ý kiến chưa được gửi. "
                    "Nội dung vẫn được giữ lại: Anh/Chị bấm «Gửi» để thử lại sau ít phút."
                ),
                buttons=[{"title": "Gửi", "payload": "/give_feedback"}],
            )
            return [SlotSet("feedback_confirm", None)]
        dispatcher.utter_message(
            text=(
                f"Đã gửi ý kiến của Anh/Chị. Mã ý kiến: {saved.code}\n"
                f"Đơn vị tiếp nhận: {saved.office_name}\n"
                f"Hạn trả lời dự kiến: {format_date(saved.due_date)}\n"
                "Anh/Chị lưu lại mã để tra cứu (bấm «Tra cứu ý kiến đã gửi»)."
            )
        )
        return _reset_form()


class CancelFeedback(Action):
    def name(self) -> str:
        return "action_cancel_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_feedback_cancelled")
        return [*_reset_form(), SlotSet("requested_slot", None)]
