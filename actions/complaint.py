"""Complaints and denunciations (file_complaint). These follow the Law on Complaints and the
Law on Denunciations, so the assistant explains that path first and only records the
matter, as a confidential ticket, if the resident asks it to."""

from __future__ import annotations

from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import SavedTicket, channel_of
from actions.ticket_forms import (
    FORM_QUESTIONS,
    AskConsent,
    TicketFormValidation,
    ask_summary_or_edit,
    check_text,
    consent_answer,
    extract_consent,
    reset_slots,
    resolve_confirmation,
    say_submitted,
    submit_form_ticket,
    summary_of,
)
from db.models import TicketKind
from laikhe.validators import validate_feedback_text
from services.tickets import NewTicket

FORM: Final = "complaint_form"
SLOTS: Final = FORM_QUESTIONS[FORM]
EDITABLE_LABELS: Final = {
    "complaint_content": "Nội dung",
    "contact_name": "Họ tên",
    "contact_phone": "Số điện thoại",
}


def complaint_slots(slots: dict[str, Any]) -> list[str]:
    if slots.get("complaint_record") == "no":
        return list(SLOTS[:1])
    if slots.get("complaint_consent") is False:
        return list(SLOTS[:2])
    return list(SLOTS)


class AskComplaintRecord(Action):
    def name(self) -> str:
        return "action_ask_complaint_record"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        # utter_complaint_legal_path: time limits from ../shared/facts/faq-facts.md
        # (Luật Khiếu nại 2011, Điều 28) only.
        dispatcher.utter_message(
            response="utter_complaint_legal_path",
            buttons=[
                {"title": "Ghi nhận nội dung", "payload": "/affirm"},
                {"title": "Không, cảm ơn", "payload": "/deny"},
            ],
        )
        return []


class AskComplaintConsent(AskConsent):
    slot = "complaint_consent"


class AskComplaintConfirm(Action):
    def name(self) -> str:
        return "action_ask_complaint_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        summary = summary_of(domain, "utter_line_complaint_summary", tracker, EDITABLE_LABELS)
        return ask_summary_or_edit(
            dispatcher,
            tracker,
            domain,
            confirm_slot="complaint_confirm",
            summary=summary,
            fields=EDITABLE_LABELS,
        )


class ValidateComplaintForm(TicketFormValidation):
    editable_labels = EDITABLE_LABELS

    def name(self) -> str:
        return "validate_complaint_form"

    def slots_for(self, slots: dict[str, Any]) -> list[str]:
        return complaint_slots(slots)

    async def extract_complaint_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("complaint_record") != "yes":
            return {}
        return await extract_consent("complaint_consent", tracker)

    async def validate_complaint_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await consent_answer("complaint_consent", value, tracker, dispatcher)

    async def validate_complaint_content(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_text("complaint_content", value, validate_feedback_text, dispatcher)

    async def validate_complaint_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return resolve_confirmation(value, "complaint_confirm", list(EDITABLE_LABELS))


class SubmitComplaint(Action):
    def name(self) -> str:
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("complaint_record") == "no":
            dispatcher.utter_message(response="utter_complaint_not_recorded")
            return reset_slots(FORM)
        if tracker.get_slot("complaint_consent") is False:
            dispatcher.utter_message(
                response="utter_complaint_needs_contact",
                buttons=[
                    {"title": "Địa chỉ cơ quan xã", "payload": '/faq{"faq_topic":"office_contact"}'}
                ],
            )
            return reset_slots(FORM)
        if tracker.get_slot("complaint_confirm") != "send":
            dispatcher.utter_message(response="utter_form_cancelled")
            return reset_slots(FORM)
        saved = await submit_form_ticket(
            dispatcher,
            tracker,
            NewTicket(
                kind=TicketKind.KHIEU_NAI_TO_CAO,
                content=str(tracker.get_slot("complaint_content")),
                channel=channel_of(tracker),
                sender_id=tracker.sender_id,
                contact_name=tracker.get_slot("contact_name"),
                contact_phone=tracker.get_slot("contact_phone"),
            ),
            confirm_slot="complaint_confirm",
            restart_payload="/file_complaint",
        )
        if not isinstance(saved, SavedTicket):
            return saved
        say_submitted(dispatcher, saved, form="complaint", answer_here=True)
        return reset_slots(FORM)
