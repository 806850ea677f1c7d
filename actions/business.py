"""Business proposals (business_proposal): who the business is, its tax code (check digit
verified), what it proposes and whom to call back. Routed to the business office."""

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
    short_text,
    submit_form_ticket,
    summary_of,
)
from db.models import TicketKind
from laikhe.contact import validate_email, validate_phone, validate_tax_code
from laikhe.first_message import slots_from_first_message
from laikhe.validators import validate_feedback_text
from services.tickets import NewTicket

FORM: Final = "business_form"
# The kind_routing key in config/commune.yml that sends business proposals to their office.
ROUTING_KEY: Final = "kien_nghi_doanh_nghiep"
SLOTS: Final = FORM_QUESTIONS[FORM]
EDITABLE_LABELS: Final = {
    "business_name": "Tên doanh nghiệp",
    "tax_code": "Mã số thuế",
    "business_sector": "Ngành nghề",
    "business_proposal": "Nội dung",
    "contact_name": "Người liên hệ",
    "business_contact": "Điện thoại/email",
}
validate_business_name = short_text(2, 200, "tên doanh nghiệp hoặc hộ kinh doanh")
validate_sector = short_text(2, 120, "ngành nghề, lĩnh vực")


def validate_phone_or_email(text: str) -> tuple[str | None, str | None]:
    if "@" in text:
        return validate_email(text)
    return validate_phone(text)


def business_slots(slots: dict[str, Any]) -> list[str]:
    # Without consent there is nobody to answer: the form stops after the question.
    return list(SLOTS[:1]) if slots.get("business_consent") is False else list(SLOTS)


class AskBusinessConsent(AskConsent):
    slot = "business_consent"


class AskBusinessConfirm(Action):
    def name(self) -> str:
        return "action_ask_business_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        summary = summary_of(domain, "utter_line_business_summary", tracker, EDITABLE_LABELS)
        return ask_summary_or_edit(
            dispatcher,
            tracker,
            domain,
            confirm_slot="business_confirm",
            summary=summary,
            fields=EDITABLE_LABELS,
        )


class ValidateBusinessForm(TicketFormValidation):
    editable_labels = EDITABLE_LABELS
    phone_slot = "business_contact"

    def name(self) -> str:
        return "validate_business_form"

    def slots_for(self, slots: dict[str, Any]) -> list[str]:
        return business_slots(slots)

    async def first_message_slots(
        self, text: str, reading: Any, *, question: bool = False
    ) -> dict[str, Any]:
        # Without consent the form stops and every slot is reset: nothing is kept.
        return dict(
            slots_from_first_message(
                text, content_slot="business_proposal", phone_slot="business_contact"
            )
        )

    async def extract_business_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await extract_consent("business_consent", tracker)

    async def validate_business_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await consent_answer("business_consent", value, tracker, dispatcher)

    async def validate_business_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_text("business_name", value, validate_business_name, dispatcher)

    async def validate_tax_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_text("tax_code", value, validate_tax_code, dispatcher)

    async def validate_business_sector(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_text("business_sector", value, validate_sector, dispatcher)

    async def validate_business_proposal(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_text("business_proposal", value, validate_feedback_text, dispatcher)

    async def validate_business_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_text("business_contact", value, validate_phone_or_email, dispatcher)

    async def validate_business_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return resolve_confirmation(value, "business_confirm", list(EDITABLE_LABELS))


class SubmitBusiness(Action):
    def name(self) -> str:
        return "action_submit_business"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("business_consent") is False:
            dispatcher.utter_message(
                response="utter_business_needs_contact",
                buttons=[{"title": "Gửi góp ý ẩn danh", "payload": "/give_feedback"}],
            )
            return reset_slots(FORM)
        if tracker.get_slot("business_confirm") != "send":
            dispatcher.utter_message(response="utter_form_cancelled")
            return reset_slots(FORM)
        contact = str(tracker.get_slot("business_contact"))
        saved = await submit_form_ticket(
            dispatcher,
            tracker,
            NewTicket(
                kind=TicketKind.KIEN_NGHI,
                routing_key=ROUTING_KEY,
                content=str(tracker.get_slot("business_proposal")),
                channel=channel_of(tracker),
                sender_id=tracker.sender_id,
                business_name=tracker.get_slot("business_name"),
                tax_code=tracker.get_slot("tax_code"),
                sector=tracker.get_slot("business_sector"),
                contact_name=tracker.get_slot("contact_name"),
                contact_email=contact if "@" in contact else None,
                contact_phone=None if "@" in contact else contact,
            ),
            confirm_slot="business_confirm",
            restart_payload="/business_proposal",
        )
        if not isinstance(saved, SavedTicket):
            return saved
        say_submitted(dispatcher, saved, form="business", answer_here=True)
        return reset_slots(FORM)
