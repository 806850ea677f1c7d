"""Ticket status: by code, or the list of this chat's tickets.

Another chat sees the state, office and due date only. The owner also gets buttons for
what can still be done with the ticket (add information, withdraw, reopen, rate); the
buttons carry `/ticket_op{"op":"<verb>:<CODE>[:<arg>]"}` payloads (laikhe.payloads.ticket_op),
handled in actions/follow_up.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import DatabaseUnavailable, database
from actions.wording import line
from laikhe import clock
from laikhe.labels import KIND_LABELS, STATE_LABELS, format_date
from laikhe.payloads import ticket_op
from services.lifecycle import Step, may, resident_steps
from services.resident import my_tickets
from services.tickets import TicketStatus, parse_ticket_code, ticket_status

MY_TICKETS_SHOWN: Final = 5


def owner_buttons(status: TicketStatus, *, now: datetime | None = None) -> list[dict[str, str]]:
    """What the sender can still do with their ticket (services.lifecycle), as buttons."""
    steps = resident_steps(status, finished_at=status.finished_at, now=now or clock.now())
    buttons: list[dict[str, str]] = []
    if Step.ADD_INFO in steps:
        buttons.append({"title": "Bổ sung thông tin", "payload": ticket_op("add", status.code)})
    if Step.WITHDRAW in steps:
        buttons.append({"title": "Rút ý kiến", "payload": ticket_op("withdraw", status.code)})
    if Step.REOPEN in steps:
        buttons.append(
            {"title": "Chưa được giải quyết", "payload": ticket_op("reopen", status.code)}
        )
    if Step.RATE in steps:
        buttons.extend(
            {"title": f"{score} ★", "payload": ticket_op("rate", status.code, str(score))}
            for score in range(1, 6)
        )
    return buttons


def status_text(domain: DomainDict, status: TicketStatus) -> str:
    """The status lines (utter_line_status_*); the owner's show the content they typed."""
    lines = [
        line(domain, "utter_line_status_title", code=status.code),
        line(domain, "utter_line_status_state", state=STATE_LABELS.get(status.state, status.state)),
        line(domain, "utter_line_status_office", office=status.office_name),
        line(domain, "utter_line_status_due_date", due_date=format_date(status.due_date)),
    ]
    if status.is_owner:
        kind = KIND_LABELS.get(status.kind, status.kind)
        lines.insert(1, line(domain, "utter_line_status_kind", kind=kind))
        if status.category_name:
            lines.append(line(domain, "utter_line_status_category", category=status.category_name))
        if status.content is not None:
            lines.append(line(domain, "utter_line_status_content", content=status.content))
        if may(Step.RATE, status.state) and status.satisfaction is None:
            lines.append(line(domain, "utter_line_status_ask_rating"))
    return "\n".join(lines)


async def show_status(
    dispatcher: CollectingDispatcher, domain: DomainDict, code: str, sender_id: str
) -> None:
    """The status message of one ticket, with the owner's buttons when this chat sent it."""
    try:
        async with database(f"status look-up for {code}") as session:
            status = await ticket_status(session=session, code=code, sender_id=sender_id)
    except DatabaseUnavailable:
        dispatcher.utter_message(response="utter_system_problem")
        return
    if status is None:
        dispatcher.utter_message(response="utter_ticket_not_found", code=code)
        return
    buttons = owner_buttons(status) if status.is_owner else []
    if buttons:
        dispatcher.utter_message(text=status_text(domain, status), buttons=buttons)
    else:
        dispatcher.utter_message(text=status_text(domain, status))


class AskTicketCode(Action):
    """Ask for a code; list this chat's own tickets as buttons first ("ý kiến của tôi")."""

    def name(self) -> str:
        return "action_ask_ticket_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        try:
            async with database("my tickets look-up") as session:
                mine = await my_tickets(
                    session=session, sender_id=tracker.sender_id, limit=MY_TICKETS_SHOWN
                )
        except DatabaseUnavailable:
            mine = []
        if not mine:
            dispatcher.utter_message(response="utter_ask_ticket_code")
            return []
        # The previews are what the resident typed: put together here (actions.wording).
        lines = [line(domain, "utter_line_my_tickets")]
        lines.extend(
            line(
                domain,
                "utter_line_my_ticket",
                code=t.code,
                date=format_date(t.created_at),
                state=STATE_LABELS.get(t.state, t.state),
                preview=t.preview,
            )
            for t in mine
        )
        lines.append(line(domain, "utter_line_my_tickets_hint"))
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[{"title": t.code, "payload": ticket_op("show", t.code)} for t in mine],
        )
        return []


class ValidateTicketStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_status_form"

    async def validate_ticket_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = parse_ticket_code(str(value or ""))
        if code is None:
            dispatcher.utter_message(response="utter_bad_ticket_code")
        return {"ticket_code": code}


class CheckTicketStatus(Action):
    def name(self) -> str:
        return "action_check_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        code = parse_ticket_code(str(tracker.get_slot("ticket_code") or ""))
        if code is None:
            dispatcher.utter_message(response="utter_bad_ticket_code")
        else:
            await show_status(dispatcher, domain, code, tracker.sender_id)
        return [SlotSet("ticket_code", None)]
