"""Reports of false information about Resolution 57 or the commune's digital transformation
(report_misinformation): where it was seen and what it claims. No contact is asked."""

from __future__ import annotations

from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.button_steps import TypedAnswerValidation
from actions.consent import chat_has_consent
from actions.runtime import SavedTicket, channel_of
from actions.ticket_forms import (
    ask_summary_or_edit,
    check_text,
    reset_slots,
    resolve_confirmation,
    say_submitted,
    submit_form_ticket,
    summary_of,
)
from db.models import TicketKind
from laikhe.contact import validate_link_or_platform
from laikhe.validators import validate_feedback_text
from services.tickets import NewTicket

FORM: Final = "misinformation_form"
EDITABLE_LABELS: Final = {"misinfo_source": "Nơi thấy", "misinfo_claim": "Nội dung sai"}


class AskMisinformationConfirm(Action):
    def name(self) -> str:
        return "action_ask_misinfo_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        summary = summary_of(domain, "utter_line_misinfo_summary", tracker, EDITABLE_LABELS)
        return ask_summary_or_edit(
            dispatcher,
            tracker,
            domain,
            confirm_slot="misinfo_confirm",
            summary=summary,
            fields=EDITABLE_LABELS,
        )


class ValidateMisinformationForm(TypedAnswerValidation):
    editable_labels = EDITABLE_LABELS

    def name(self) -> str:
        return "validate_misinformation_form"

    async def validate_misinfo_source(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_text("misinfo_source", value, validate_link_or_platform, dispatcher)

    async def validate_misinfo_claim(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_text("misinfo_claim", value, validate_feedback_text, dispatcher)

    async def validate_misinfo_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return resolve_confirmation(value, "misinfo_confirm", list(EDITABLE_LABELS))


class SubmitMisinformation(Action):
    def name(self) -> str:
        return "action_submit_misinformation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("misinfo_confirm") != "send":
            dispatcher.utter_message(response="utter_form_cancelled")
            return reset_slots(FORM)
        # The chat id is kept only under a consent already given here; otherwise the
        # report is anonymous and followed by its code alone.
        keep_chat = await chat_has_consent(tracker.sender_id)
        claim = str(tracker.get_slot("misinfo_claim"))
        saved = await submit_form_ticket(
            dispatcher,
            tracker,
            NewTicket(
                kind=TicketKind.THONG_TIN_SAI,
                content=claim,
                claim=claim,
                source=tracker.get_slot("misinfo_source"),
                channel=channel_of(tracker),
                sender_id=tracker.sender_id if keep_chat else None,
                anonymous=not keep_chat,
            ),
            confirm_slot="misinfo_confirm",
            restart_payload="/report_misinformation",
        )
        if not isinstance(saved, SavedTicket):
            return saved
        say_submitted(dispatcher, saved, form="misinfo", answer_here=keep_chat)
        return reset_slots(FORM)
