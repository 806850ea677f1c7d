"""«Gặp cán bộ»: the resident's question and the recent conversation become a `cau_hoi`
ticket for the intake office, answered by staff through this chat.

The chat id is kept to answer, so consent comes first (skipped when this chat already
agreed). The question is the one the assistant could not answer (`pending_question`),
or asked for. The recent conversation is taken when the resident asks, before the form's
own questions and answers enter the history.

The copied conversation is for context only, and the ticket's card is posted in the
intake group, so it never carries what a form collected: turns inside any form (the
tracker's active_loop) are left out, and when the session holds a complaint nothing is
copied at all (see `mentions_complaint`).
"""

from __future__ import annotations

from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.button_steps import TypedAnswerValidation
from actions.consent import ask_consent, chat_has_consent, store_consent
from actions.fallback import previous_bot_action
from actions.runtime import channel_of, save_ticket
from db.models import TicketKind
from laikhe.labels import format_date
from laikhe.validators import validate_feedback_text
from services.tickets import NewTicket, TicketLimitReached

RECENT_MESSAGES: Final = 6
MESSAGE_CHARS: Final = 200
CONTEXT_HEADER: Final = "--- Trao đổi gần đây với trợ lý ---"
RESET: Final = ("human_consent", "human_question", "human_context", "pending_question")
# The unanswered question is the one to send only right after the assistant failed on it;
# later it is stale and the resident is asked what to send.
OFFERED_BY: Final = frozenset({"action_clarify", "action_offer_staff_question"})
COMPLAINT_INTENT: Final = "file_complaint"
COMPLAINT_FORM: Final = "complaint_form"


def _trim(text: str, limit: int = MESSAGE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _intent(event: dict[str, Any]) -> str | None:
    name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return str(name) if name else None


def mentions_complaint(events: list[dict[str, Any]]) -> bool:
    """A complaint or denunciation was raised in this session (asked for, or its form run).

    Its words may stand in the message that asked for it, before the form started, so
    leaving form turns out is not enough. The whole copied context is then dropped rather
    than the question ticket made confidential: a confidential copy would still put the
    complaint in a second ticket, of the intake office instead of the complaint's own
    handlers, and hide an ordinary question from the staff who answer it.
    """
    return any(
        (event.get("event") == "user" and _intent(event) == COMPLAINT_INTENT)
        or (event.get("event") == "active_loop" and event.get("name") == COMPLAINT_FORM)
        for event in events
    )


def recent_conversation(events: list[dict[str, Any]], limit: int = RECENT_MESSAGES) -> str:
    """The last user/bot messages before the latest user message, one trimmed line each.

    Button payloads ("/give_feedback") say nothing to a reader and are left out, and so
    is every turn of a form: from the message that started it (the tracker's
    `active_loop` event naming a form follows it) to the `active_loop` event naming none,
    what was said is a form's question or the resident's answer (content, name, phone),
    which belongs to that form's own ticket only.
    """
    if mentions_complaint(events):
        return ""
    latest_user = max(
        (i for i, event in enumerate(events) if event.get("event") == "user"), default=len(events)
    )
    lines: list[str] = []
    in_form = False
    turn_start = 0  # where the lines of the current user turn begin
    for event in events[:latest_user]:
        kind = event.get("event")
        if kind == "active_loop":
            if event.get("name") and not in_form:
                # The message that started the form ("phản ánh đèn đường nhà tôi hỏng")
                # may already carry its content: it belongs to the form too.
                del lines[turn_start:]
            in_form = bool(event.get("name"))
            continue
        if kind in ("session_started", "restart"):
            in_form = False
        if kind == "user":
            turn_start = len(lines)
        text = str(event.get("text") or "").strip()
        if in_form or not text or text.startswith("/"):
            continue
        if kind == "user":
            lines.append(f"Người dân: {_trim(text)}")
        elif kind == "bot":
            lines.append(f"Trợ lý: {_trim(text)}")
    return "\n".join(lines[-limit:])


def ticket_content(question: str, context: str | None) -> str:
    return f"{question}\n\n{CONTEXT_HEADER}\n{context}" if context else question


class ActionRequestHuman(Action):
    """Entry of the flow: keep the recent conversation; the form follows (rule)."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = [
            SlotSet("human_consent", None),
            SlotSet("human_question", None),
            SlotSet("human_context", recent_conversation(tracker.events) or None),
        ]
        if previous_bot_action(tracker) not in OFFERED_BY:
            events.append(SlotSet("pending_question", None))
        return events


class AskHumanConsent(Action):
    def name(self) -> str:
        return "action_ask_human_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        ask_consent(dispatcher)
        return []


class ValidateHumanRequestForm(TypedAnswerValidation):
    def name(self) -> str:
        return "validate_human_request_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("human_consent") is False:
            # Refused: the form ends here and nothing is sent.
            return ["human_consent"]
        slots = []
        if not await chat_has_consent(tracker.sender_id):
            slots.append("human_consent")
        if not tracker.get_slot("pending_question"):
            slots.append("human_question")
        return slots

    async def validate_human_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value not in (True, False):
            return {"human_consent": None}
        if not await store_consent(tracker, granted=bool(value)):
            dispatcher.utter_message(response="utter_consent_not_stored_retry")
            return {"human_consent": None}
        return {"human_consent": bool(value)}

    async def validate_human_question(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text, problem = validate_feedback_text(str(value or ""))
        if problem:
            dispatcher.utter_message(text=problem)
        return {"human_question": text}


class SubmitHumanRequest(Action):
    def name(self) -> str:
        return "action_submit_human_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reset = [SlotSet(slot, None) for slot in RESET]
        if tracker.get_slot("human_consent") is False:
            dispatcher.utter_message(
                response="utter_human_question_not_sent",
                buttons=[{"title": "Gửi góp ý ẩn danh", "payload": "/give_feedback"}],
            )
            return reset
        question = tracker.get_slot("human_question") or tracker.get_slot("pending_question")
        if not question:
            dispatcher.utter_message(response="utter_ask_human_question")
            return [SlotSet("human_consent", None)]
        try:
            saved = await save_ticket(
                NewTicket(
                    kind=TicketKind.CAU_HOI,
                    content=ticket_content(str(question), tracker.get_slot("human_context")),
                    channel=channel_of(tracker),
                    sender_id=tracker.sender_id,
                )
            )
        except TicketLimitReached as limit:
            # Too many new tickets from this chat lately: nothing sent, question kept.
            dispatcher.utter_message(
                text=limit.message, buttons=[{"title": "Gửi lại", "payload": "/request_human"}]
            )
            return [*reset[:-1], SlotSet("pending_question", str(question))]
        if saved is None:
            dispatcher.utter_message(
                response="utter_human_question_save_failed",
                buttons=[{"title": "Gửi lại", "payload": "/request_human"}],
            )
            # Keep the question: «Gửi lại» sends it without asking again.
            return [*reset[:-1], SlotSet("pending_question", str(question))]
        dispatcher.utter_message(
            response="utter_human_question_sent",
            office=saved.office_name,
            code=saved.code,
            due_date=format_date(saved.due_date),
        )
        return reset
