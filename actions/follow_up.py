"""What a resident does with a ticket they sent: show, add information, withdraw, reopen, rate.

Every button carries `/ticket_op{"op":"<verb>:<CODE>[:<arg>]"}`, written and read by
laikhe.payloads (the staff side sends the same payloads, e.g. rate after closing). The
services check ownership and state; their refusals (services/resident_errors.py) are
shown as they are and change nothing, so an old button, a wrong code or someone else's
code gets a clear reply.

Adding information and reopening need the resident's words: the action checks the
operation first (a dry run rolled back), then sets `ticket_note_needed`, and a rule
starts `ticket_note_form` to ask for the text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Final

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.ext.asyncio import AsyncSession

from actions.runtime import DatabaseUnavailable, database, get_runtime
from actions.status import show_status
from laikhe.labels import format_date
from laikhe.payloads import TicketOp, parse_ticket_op, ticket_op
from laikhe.validators import validate_feedback_text
from services.resident import add_information, rate, reopen, withdraw
from services.resident_errors import ResidentError
from services.tickets import TICKET_CODE_PATTERN, parse_ticket_code

NOTE_VERBS: Final = frozenset({"add", "reopen"})
CONFIRM_WITHDRAW: Final = "ok"
# An old, malformed or foreign button.
BAD_OP: Final = "utter_bad_ticket_button"
NOTE_SLOTS: Final = ("ticket_note", "ticket_note_for")


def parse_op(value: object) -> TicketOp | None:
    """'rate:LK-2026-000001:5' -> TicketOp with the code in its canonical form; None for
    anything malformed."""
    op = parse_ticket_op(value)
    # The whole field must be a code ("lk-2026-1" is LK-2026-000001), not contain one.
    if op is None or TICKET_CODE_PATTERN.fullmatch(op.code) is None:
        return None
    code = parse_ticket_code(op.code)
    return None if code is None else replace(op, code=code)


@dataclass(frozen=True)
class Problem:
    """Why an operation did not go through: a service's refusal in its own words
    (services/resident_errors.py), or a domain response."""

    text: str | None = None
    response: str | None = None

    def say(self, dispatcher: CollectingDispatcher) -> None:
        if self.response is not None:
            dispatcher.utter_message(response=self.response)
        else:
            dispatcher.utter_message(text=self.text)


async def run_resident_service(
    operation: Callable[[AsyncSession], Awaitable[object]], *, commit: bool
) -> Problem | None:
    """Run one resident operation; why it failed, or None when it went through. With
    commit=False it is a dry run: checked, then rolled back."""
    try:
        async with database("resident operation", commit=commit) as session:
            await operation(session)
    except ResidentError as refusal:
        return Problem(text=refusal.message)
    except DatabaseUnavailable:
        return Problem(response="utter_system_problem")
    return None


def _note_events(*, needed: bool, note_for: str | None = None) -> list[dict[str, Any]]:
    return [
        SlotSet("ticket_note", None),
        SlotSet("ticket_note_for", note_for),
        SlotSet("ticket_note_needed", needed),
    ]


class ActionTicketOp(Action):
    def name(self) -> str:
        return "action_ticket_op"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        # A button pressed while the status form asked for a code may have left the
        # payload text in ticket_code: clear it.
        done = [SlotSet("ticket_code", None), *_note_events(needed=False)]
        op = parse_op(next(tracker.get_latest_entity_values("op"), None))
        if op is None:
            dispatcher.utter_message(response=BAD_OP)
            return done
        sender = tracker.sender_id
        if op.verb == "show" and op.arg is None:
            await show_status(dispatcher, domain, op.code, sender)
            return done
        if op.verb == "withdraw":
            return await self._withdraw(dispatcher, op, sender, done)
        if op.verb == "rate":
            return await self._rate(dispatcher, op, sender, done)
        if op.verb in NOTE_VERBS and op.arg is None:
            problem = await run_resident_service(_dry_run(op, sender), commit=False)
            if problem:
                problem.say(dispatcher)
                return done
            return [SlotSet("ticket_code", None), *_note_events(needed=True, note_for=op.value)]
        dispatcher.utter_message(response=BAD_OP)
        return done

    async def _withdraw(
        self,
        dispatcher: CollectingDispatcher,
        op: TicketOp,
        sender: str,
        done: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        if op.arg not in (None, CONFIRM_WITHDRAW):
            dispatcher.utter_message(response=BAD_OP)
            return done

        async def operation(session: AsyncSession) -> object:
            return await withdraw(session=session, code=op.code, sender_id=sender)

        problem = await run_resident_service(operation, commit=op.arg == CONFIRM_WITHDRAW)
        if problem:
            problem.say(dispatcher)
        elif op.arg is None:
            dispatcher.utter_message(
                response="utter_confirm_withdraw",
                code=op.code,
                buttons=[
                    {
                        "title": "Rút ý kiến",
                        "payload": ticket_op("withdraw", op.code, CONFIRM_WITHDRAW),
                    },
                    {"title": "Giữ lại", "payload": ticket_op("show", op.code)},
                ],
            )
        else:
            dispatcher.utter_message(response="utter_withdrawn", code=op.code)
        return done

    async def _rate(
        self,
        dispatcher: CollectingDispatcher,
        op: TicketOp,
        sender: str,
        done: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        if op.arg is None or not op.arg.isdigit():
            dispatcher.utter_message(response=BAD_OP)
            return done
        score = int(op.arg)

        async def operation(session: AsyncSession) -> object:
            return await rate(session=session, code=op.code, sender_id=sender, score=score)

        problem = await run_resident_service(operation, commit=True)
        if problem:
            problem.say(dispatcher)
        else:
            dispatcher.utter_message(response="utter_rated", score=score, code=op.code)
        return done


def _dry_run(op: TicketOp, sender: str) -> Callable[[AsyncSession], Awaitable[object]]:
    """The operation with a placeholder text: it checks ownership, state and deadlines."""
    placeholder = "kiểm tra trước khi hỏi nội dung"

    async def operation(session: AsyncSession) -> object:
        return await _apply_note(session, op, sender, placeholder)

    return operation


async def _apply_note(session: AsyncSession, op: TicketOp, sender: str, text: str) -> object:
    if op.verb == "add":
        return await add_information(session=session, code=op.code, sender_id=sender, text=text)
    return await reopen(
        session=session, policy=get_runtime().policy, code=op.code, sender_id=sender, reason=text
    )


class AskTicketNote(Action):
    def name(self) -> str:
        return "action_ask_ticket_note"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        op = parse_op(tracker.get_slot("ticket_note_for"))
        if op is not None and op.verb == "reopen":
            dispatcher.utter_message(response="utter_ask_reopen_reason", code=op.code)
        else:
            dispatcher.utter_message(
                response="utter_ask_added_information", code=op.code if op else ""
            )
        return []


class ValidateTicketNoteForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_note_form"

    async def validate_ticket_note(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text, problem = validate_feedback_text(str(value or ""))
        if problem:
            dispatcher.utter_message(text=problem)
        return {"ticket_note": text}


class SubmitTicketNote(Action):
    def name(self) -> str:
        return "action_submit_ticket_note"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        done = [*_note_events(needed=False), SlotSet("requested_slot", None)]
        op = parse_op(tracker.get_slot("ticket_note_for"))
        note = tracker.get_slot("ticket_note")
        if op is None or op.verb not in NOTE_VERBS or not note:
            dispatcher.utter_message(response=BAD_OP)
            return done
        sender = tracker.sender_id
        outcome: dict[str, Any] = {}

        async def operation(session: AsyncSession) -> object:
            result = await _apply_note(session, op, sender, str(note))
            if op.verb == "reopen":
                outcome["due_date"] = getattr(result, "due_date", None)
            return result

        problem = await run_resident_service(operation, commit=True)
        if problem:
            problem.say(dispatcher)
        elif op.verb == "add":
            dispatcher.utter_message(response="utter_information_added", code=op.code)
        else:
            dispatcher.utter_message(
                response="utter_reopened",
                code=op.code,
                due_date=format_date(outcome["due_date"]),
            )
        return done


class CancelFollowUp(Action):
    """«Hủy» in any of the follow-up forms: nothing is sent, nothing changes."""

    def name(self) -> str:
        return "action_cancel_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_follow_up_cancelled")
        return [
            *_note_events(needed=False),
            SlotSet("human_question", None),
            SlotSet("human_consent", None),
            SlotSet("human_context", None),
            SlotSet("delete_confirm", None),
            SlotSet("requested_slot", None),
        ]
