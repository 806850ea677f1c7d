"""What the back office search finds, defined once: a ticket's content, the false claim
a misinformation report quotes, and every staff answer, folded the way the assistant
reads typed text (laikhe.vntext.normalize: lower case, no diacritics, đ -> d, chat
abbreviations spelled out), so "mat mang" finds "mất mạng" and "Mẫu" finds "mau".

The folded text is kept in Ticket.search_text, written by whoever writes what it
holds (services.tickets at creation, services.handling on an answer) and cleared with
the content by erasure and retention (services.privacy.strip_personal_fields): it is
the resident's text and the answer to it. A query folds the same way and is found as
a phrase starting at a word; LIKE on the folded column works alike on SQLite and
PostgreSQL (where a trigram index makes it fast)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import ColumnElement, and_, false

from db.models import StaffMember, Ticket
from laikhe.vntext import normalize

# A longer query is cut to this many words: more only add work, hardly precision.
MAX_QUERY_WORDS: Final = 8


def folded(text: str) -> str:
    return normalize(text)


# The stored text starts with a space and its words are separated by one: a query
# matches from the start of a word ("an" finds "an", "ăn", "án", not "ban", "lan"), and a
# query of several words matches them in that order ("mat mang", not "mật khẩu ... mang").
def index_submission(ticket: Ticket) -> None:
    """The search text of a new ticket: its content and the quoted claim."""
    parts = (folded(part) for part in (ticket.content, ticket.claim) if part)
    ticket.search_text = " " + " ".join(part for part in parts if part)


def index_answer(ticket: Ticket, body: str) -> None:
    """Add a staff answer: every answer of every cycle stays findable."""
    words = folded(body)
    if words:
        ticket.search_text = f"{(ticket.search_text or '').rstrip()} {words}"


def forget(ticket: Ticket) -> None:
    ticket.search_text = None


def query_phrase(query: str) -> str:
    return " ".join(folded(query).split()[:MAX_QUERY_WORDS])


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def holds_phrase(query: str) -> ColumnElement[bool]:
    """The search text holds the words of `query`, in order, the first from a word's
    start (nothing matches an empty query)."""
    phrase = query_phrase(query)
    if not phrase:
        return false()
    return Ticket.search_text.like(f"% {_like_escaped(phrase)}%", escape="\\")


def matches(query: str, staff: StaffMember) -> ColumnElement[bool]:
    """The tickets `staff` may find by searching `query`.

    A confidential ticket only matches for a cleared member: otherwise a search would
    tell an uncleared one what a complaint says, one guessed word at a time."""
    found = holds_phrase(query)
    if staff.can_read_confidential:
        return found
    return and_(Ticket.confidential.is_(False), found)
