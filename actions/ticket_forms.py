"""What the ticket forms share: consent, the «Gửi / Sửa / Hủy» summary, typed-text checks.

Each form (feedback, business proposal, misinformation, complaint) is a Rasa form whose
validation action picks the slots that apply (`required_slots`), so one domain entry per
form covers every path: anonymous or not, formal kind or not, a field being corrected.
"""

from __future__ import annotations

import dataclasses
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Final

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.button_steps import TypedAnswerValidation
from actions.consent import ask_consent, chat_has_consent, consent_value, store_consent
from actions.runtime import SavedTicket, save_ticket
from actions.wording import line
from laikhe.contact import validate_person_name, validate_phone
from laikhe.first_message import split_name_and_phone
from laikhe.labels import format_date
from laikhe.opinion import reading_of
from laikhe.payloads import payload
from laikhe.validators import clean_text
from services.tickets import NewTicket, TicketLimitReached

# The ticket forms (action_cancel_form empties the slots of all of them).
TICKET_FORMS: Final = ("feedback_form", "business_form", "misinformation_form", "complaint_form")
DOMAIN_FILE: Final = Path(__file__).resolve().parents[1] / "domain.yml"


def _questions() -> dict[str, tuple[str, ...]]:
    forms = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["forms"]
    return {form: tuple(forms[form]["required_slots"]) for form in TICKET_FORMS}


# Each form's questions in order, as domain.yml lists them (the form's required_slots):
# the form's validation action picks which of them are asked.
FORM_QUESTIONS: Final[dict[str, tuple[str, ...]]] = _questions()
# What a form's validation keeps besides the answers (slots declared in domain.yml,
# filled by the action): the engine's reading of the first message, a likely duplicate,
# the photos and whether «Sửa» asked for them.
FORM_STATE: Final[dict[str, tuple[str, ...]]] = {
    "feedback_form": (
        "feedback_proposal",
        "feedback_duplicate_code",
        "feedback_add_photos",
        "feedback_photos",
    ),
}
# Every slot a ticket form fills, by form: reset together when a form ends or is cancelled.
FORM_SLOTS: Final[dict[str, tuple[str, ...]]] = {
    form: (*questions, *FORM_STATE.get(form, ())) for form, questions in FORM_QUESTIONS.items()
}
# The id of one form submission, set when the «Gửi / Sửa / Hủy» summary is first shown
# and kept until the form ends: a second «Gửi» (after a timeout, or «Gửi lại» after an
# error that happened after the commit) carries the same id and finds the same ticket.
# Random, so it says nothing about the chat (anonymous suggestions carry it too).
SUBMISSION_SLOT: Final = "submission_id"
# The question and the engine's reading of it, kept by the FAQ answer (actions.faq) for
# a button that offers to send it; the button carries {"choice": "draft"}.
DRAFT_SLOT: Final = "opinion_draft"
ALL_FORM_SLOTS: Final = (
    *dict.fromkeys(s for slots in FORM_SLOTS.values() for s in slots),
    SUBMISSION_SLOT,
    DRAFT_SLOT,
)

# «Gửi ý kiến này tới xã» sends it as an opinion, «Gửi câu hỏi cho cán bộ» as a question.
FROM_DRAFT: Final = "draft"
FROM_QUESTION: Final = "question"

SEND: Final = "send"
EDIT_MENU: Final = "menu"
EDIT_MENU_PAYLOAD: Final = payload("inform", edit=EDIT_MENU)

TextCheck = Callable[[str], tuple[str | None, str | None]]


def draft_sent_as(latest_message: dict[str, Any]) -> str | None:
    """FROM_DRAFT or FROM_QUESTION when the form starts from a button that sends the kept
    text on, else None."""
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") == "choice" and entity.get("value") in (FROM_DRAFT, FROM_QUESTION):
            return str(entity["value"])
    return None


def draft_payload(intent: str, *, as_question: bool = False) -> str:
    return payload(intent, choice=FROM_QUESTION if as_question else FROM_DRAFT)


def reset_slots(form: str) -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in (*FORM_SLOTS[form], SUBMISSION_SLOT, DRAFT_SLOT)]


def submission_events(tracker: Tracker) -> list[dict[str, Any]]:
    """A submission id for the summary being shown, unless this form already has one."""
    if tracker.get_slot(SUBMISSION_SLOT):
        return []
    return [SlotSet(SUBMISSION_SLOT, uuid.uuid4().hex)]


def confirm_buttons() -> list[dict[str, str]]:
    return [
        {"title": "Gửi", "payload": "/affirm"},
        {"title": "Sửa", "payload": EDIT_MENU_PAYLOAD},
        {"title": "Hủy", "payload": "/cancel"},
    ]


def edit_payload(slot: str) -> str:
    return payload("inform", edit=slot)


def wants_edit_menu(tracker: Tracker, confirm_slot: str) -> bool:
    """The resident answered the summary with «Sửa» (or a no): show the field picker.

    Read from the slot the engine set this turn, not from the message's intent: the
    summary is also asked right after the last field, whose text may look like a "no".
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if (
            event.get("event") == "slot"
            and event.get("name") == confirm_slot
            and event.get("value") == EDIT_MENU
        ):
            return True
    return False


def ask_summary_or_edit(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    *,
    confirm_slot: str,
    summary: str,
    fields: dict[str, str],
) -> list[dict[str, Any]]:
    """The confirmation question, or after «Sửa» the list of fields that can be changed;
    returns the events the ask action returns (the submission id)."""
    if wants_edit_menu(tracker, confirm_slot):
        dispatcher.utter_message(
            response="utter_which_field",
            buttons=[
                *(
                    {"title": label, "payload": edit_payload(slot)}
                    for slot, label in fields.items()
                ),
                {"title": "Không sửa, gửi luôn", "payload": "/affirm"},
                {"title": "Hủy", "payload": "/cancel"},
            ],
        )
        return submission_events(tracker)
    # The summary holds what the resident typed: put together here (actions.wording).
    dispatcher.utter_message(
        text=f"{summary}\n{line(domain, 'utter_line_send_or_edit')}", buttons=confirm_buttons()
    )
    return submission_events(tracker)


def summary_of(domain: DomainDict, title: str, tracker: Tracker, labels: dict[str, str]) -> str:
    """The `title` response, then one line per field (labels shared with «Sửa»)."""
    lines = [
        line(domain, title),
        *(
            line(domain, "utter_line_summary_field", label=label, value=tracker.get_slot(slot))
            for slot, label in labels.items()
        ),
    ]
    return "\n".join(lines)


def resolve_confirmation(value: Any, confirm_slot: str, editable: list[str]) -> dict[str, Any]:
    """«Gửi» ends the form; a field name empties that field so only it is asked again."""
    if value == SEND:
        return {confirm_slot: SEND}
    if isinstance(value, str) and value in editable:
        return {confirm_slot: None, value: None}
    return {confirm_slot: None}


def check_text(
    slot: str, value: Any, check: TextCheck, dispatcher: CollectingDispatcher
) -> dict[str, Any]:
    """Run a pure validator on typed text; its reason (if any) is the reply. Control and
    bidi characters are stripped first, whichever channel the text came through."""
    cleaned, problem = check(clean_text(str(value or "")))
    if problem:
        dispatcher.utter_message(text=problem)
    return {slot: cleaned}


def short_text(minimum: int, maximum: int, what: str) -> TextCheck:
    """A name, a sector: a few characters with at least one letter, within a length."""

    def check(text: str) -> tuple[str | None, str | None]:
        cleaned = " ".join(text.split())
        if minimum <= len(cleaned) <= maximum and any(char.isalpha() for char in cleaned):
            return cleaned, None
        return None, f"Anh/Chị ghi {what} giúp (từ {minimum} đến {maximum} ký tự)."

    return check


async def extract_consent(slot: str, tracker: Tracker) -> dict[str, Any]:
    """The consent button, or at the form's start a consent this chat already gave."""
    if tracker.get_slot(slot) is not None:
        return {}
    if tracker.get_slot("requested_slot") == slot:
        value = consent_value((tracker.latest_message.get("intent") or {}).get("name"))
        return {} if value is None else {slot: value}
    # No question asked yet: the form is starting. A consent in force is not asked again.
    if tracker.get_slot("requested_slot") is None and await chat_has_consent(tracker.sender_id):
        return {slot: True}
    return {}


async def record_consent_answer(slot: str, value: Any, tracker: Tracker) -> bool:
    """Store the press as a consent record; only a press, never a consent found on file."""
    if tracker.get_slot("requested_slot") != slot or value not in (True, False):
        return True
    return await store_consent(tracker, granted=bool(value))


async def consent_answer(
    slot: str, value: Any, tracker: Tracker, dispatcher: CollectingDispatcher
) -> dict[str, Any]:
    """The consent slot after a press: kept when recorded, asked again when not."""
    if not await record_consent_answer(slot, value, tracker):
        dispatcher.utter_message(response="utter_consent_not_stored")
        return {slot: None}
    return {slot: value}


class TicketFormValidation(TypedAnswerValidation):
    """A ticket form's validation: the questions that apply come from a pure function of
    what is known, contact details are checked the same way in every form, and a typed
    yes/no at a button step is read from its words (actions.button_steps)."""

    @abstractmethod
    def slots_for(self, slots: dict[str, Any]) -> list[str]: ...

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return self.slots_for(tracker.slots)

    # Where a phone typed together with the name goes ("Nguyễn Văn An 0912 345 678").
    phone_slot: ClassVar[str] = "contact_phone"
    # Slots extraction sets that are no question of the form: rasa-sdk returns only the
    # required slots it extracted, so these are carried over by hand.
    carried_slots: ClassVar[tuple[str, ...]] = (DRAFT_SLOT,)

    async def _extract_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        extracted = tracker.slots_to_validate()
        carried = [SlotSet(s, extracted[s]) for s in self.carried_slots if s in extracted]
        events: list[dict[str, Any]] = await super()._extract_validation_events(
            dispatcher, tracker, domain
        )
        return [*carried, *events]

    async def first_message_slots(
        self, text: str, reading: Any, *, question: bool = False
    ) -> dict[str, Any]:
        """What the message that starts the form already answers (slot -> value), given
        its text and the engine's reading of it (laikhe.opinion); `question`: an FAQ
        question the resident chose to send to staff as a question («Chưa rõ»)."""
        return {}

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = await super().get_extraction_events(
            dispatcher, tracker, domain
        )
        # No question asked yet: the form is starting, on the message that started it.
        # What it already says is filled (and validated like a typed answer) rather
        # than asked; a button press ("/give_feedback") says nothing.
        if tracker.get_slot("requested_slot") is not None:
            return events
        message = tracker.latest_message or {}
        text, reading = str(message.get("text") or ""), reading_of(message)
        draft = tracker.get_slot(DRAFT_SLOT)
        used: list[dict[str, Any]] = []
        question = False
        if text.lstrip().startswith("/"):
            # A button: only an offer to send what was asked carries a text, kept with it.
            sent_as = draft_sent_as(message)
            if sent_as is None or not isinstance(draft, dict):
                return events
            text, reading = str(draft.get("text") or ""), draft.get("opinion")
            used, question = [SlotSet(DRAFT_SLOT, None)], sent_as == FROM_QUESTION
        if not text.strip():
            return [*events, *used]
        found = {
            slot: value
            for slot, value in (
                await self.first_message_slots(text, reading, question=question)
            ).items()
            if tracker.slots.get(slot) is None
        }
        tracker.slots.update(found)
        return [*events, *used, *(SlotSet(slot, value) for slot, value in found.items())]

    async def validate_contact_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # The question asks for the name and the phone at once: a phone typed with the
        # name fills the phone step too (unless one was already given).
        name_text, phone = split_name_and_phone(clean_text(str(value or "")))
        result = check_text("contact_name", name_text, validate_person_name, dispatcher)
        if phone is not None and result["contact_name"] and not tracker.get_slot(self.phone_slot):
            result[self.phone_slot] = phone
        return result

    async def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return check_text("contact_phone", value, validate_phone, dispatcher)


class AskConsent(Action, ABC):
    """One «Đồng ý / Không đồng ý» question per form (Rasa needs one ask action per slot).

    Abstract, so the action server registers only the concrete ones."""

    @property
    @abstractmethod
    def slot(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        ask_consent(dispatcher)
        return []


def say_submitted(
    dispatcher: CollectingDispatcher, saved: SavedTicket, *, form: str, answer_here: bool
) -> None:
    """The confirmation of a saved ticket: `utter_<form>_sent`, `..._already_sent` when
    this submission was saved before, `..._anonymous` when nobody can be answered."""
    name = f"utter_{form}_{'sent' if saved.created else 'already_sent'}"
    dispatcher.utter_message(
        response=name if answer_here else f"{name}_anonymous",
        code=saved.code,
        office=saved.office_name,
        due_date=format_date(saved.due_date),
    )


def save_failed(
    dispatcher: CollectingDispatcher,
    *,
    confirm_slot: str,
    restart_payload: str,
    text: str | None = None,
) -> list[dict[str, Any]]:
    """Keep what the resident typed (and the submission id); pressing «Gửi lại» reopens
    the form at the summary. `text`: the service's own reason, else `utter_save_failed`."""
    buttons = [{"title": "Gửi lại", "payload": restart_payload}]
    if text is None:
        dispatcher.utter_message(response="utter_save_failed", buttons=buttons)
    else:
        dispatcher.utter_message(text=text, buttons=buttons)
    return [SlotSet(confirm_slot, None)]


async def submit_form_ticket(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    ticket: NewTicket,
    *,
    confirm_slot: str,
    restart_payload: str,
) -> SavedTicket | list[dict[str, Any]]:
    """Save the form's ticket under its submission id: the saved ticket, or (after
    saying why) the events that keep the form for «Gửi lại»."""
    submission = tracker.get_slot(SUBMISSION_SLOT)
    try:
        saved = await save_ticket(
            dataclasses.replace(ticket, submission_id=str(submission) if submission else None)
        )
    except TicketLimitReached as limit:
        return save_failed(
            dispatcher,
            confirm_slot=confirm_slot,
            restart_payload=restart_payload,
            text=limit.message,
        )
    if saved is None:
        return save_failed(dispatcher, confirm_slot=confirm_slot, restart_payload=restart_payload)
    return saved
