"""The saved-answer picker of the ticket page's answer form, without any script: the
picker is a GET form (`?mau=<id>`) and the page comes back with the chosen text already
in the answer box, to edit before sending. Also whether the ticket's answer may be
proposed for the FAQ."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import StaffMember, Ticket, TicketEvent, TicketState
from services.saved_answers import SavedAnswerError, get_saved_answer, list_saved_answers


async def answer_form_extras(
    session: AsyncSession,
    staff: StaffMember,
    ticket: Ticket,
    events: list[TicketEvent],
    chosen: str | None,
) -> dict[str, Any]:
    saved = await list_saved_answers(session=session, staff=staff)
    picked, text = None, ""
    if chosen and chosen.isdigit():
        try:
            found = await get_saved_answer(session=session, staff=staff, answer_id=int(chosen))
        except SavedAnswerError:
            found = None  # another office's or deleted: the box stays empty
        if found is not None:
            picked, text = found.id, found.text
    return {
        "saved_answers": [(s.id, s.title) for s in saved],
        "picked_answer": picked,
        "answer_text": text,
        "can_propose": not ticket.confidential
        and any(e.to_state is TicketState.ANSWERED for e in events),
    }
