"""What the back office search finds, defined once: a ticket's content, the false claim
a misinformation report quotes, and every staff answer, folded the way the assistant
reads typed text (laikhe.vntext.normalize: lower case, no diacritics, đ -> d, chat
abbreviations spelled out), so "mat mang" finds "mất mạng" and "Mẫu" finds "mau".

The folded text is kept in Ticket.search_text, written by whoever writes what it
holds (services.tickets at creation, services.handling on an answer) and cleared with
the content by erasure and retention (services.privacy.strip_personal_fields): it is
the resident's text and the answer to it. A query folds the same way and must find
each of its words; LIKE on a folded column works alike on SQLite and PostgreSQL
(where a trigram index makes it fast)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import ColumnElement, and_, false

from db.models import StaffMember, Ticket
from laikhe.vntext import normalize

# Words beyond this many in one query add nothing but work.
MAX_QUERY_WORDS: Final = 8


def folded(text: str) -> str:
    return normalize(text)


def index_submission(ticket: Ticket) -> None:
    """The search text of a new ticket: its content and the quoted claim."""
    ticket.search_text = folded(" ".join(part for part in (ticket.content, ticket.claim) if part))


def index_answer(ticket: Ticket, body: str) -> None:
    """Add a staff answer: every answer of every cycle stays findable."""
    ticket.search_text = " ".join(part for part in (ticket.search_text, folded(body)) if part)


def forget(ticket: Ticket) -> None:
    ticket.search_text = None


def query_words(query: str) -> list[str]:
    return folded(query).split()[:MAX_QUERY_WORDS]


def _like_escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def holds_words(query: str) -> ColumnElement[bool]:
    """The search text holds every word of `query` (nothing matches an empty query)."""
    words = query_words(query)
    if not words:
        return false()
    return and_(
        *(Ticket.search_text.like(f"%{_like_escaped(word)}%", escape="\\") for word in words)
    )


def matches(query: str, staff: StaffMember) -> ColumnElement[bool]:
    """The tickets `staff` may find by searching `query`.

    A confidential ticket only matches for a cleared member: otherwise a search would
    tell an uncleared one what a complaint says, one guessed word at a time."""
    found = holds_words(query)
    if staff.can_read_confidential:
        return found
    return and_(Ticket.confidential.is_(False), found)
