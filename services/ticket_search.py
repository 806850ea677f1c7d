"""What the back office search finds, defined once: a ticket's content, the false claim
a misinformation report quotes, and every staff answer, folded the way the assistant
reads typed text (laikhe.vntext.normalize: lower case, no diacritics, đ -> d, chat
abbreviations spelled out), so "mat mang" finds "mất mạng" and "Mẫu" finds "mau".

The folded text is kept in Ticket.search_text, written by whoever writes what it
holds (services.tickets at creation, services.handling on an answer) and cleared with
the content by erasure and retention (services.privacy.strip_personal_fields): it is
the resident's text and the answer to it. A query folds the same way and is found as
a phrase starting at a word: LIKE '% words%' on the folded column, the same on SQLite
and PostgreSQL. Both answer it from a trigram index: pg_trgm's GIN index on PostgreSQL,
the FTS5 trigram table ticket_search_fts on SQLite (migration 398111ce9fc4; triggers keep
it in step with search_text, so erasure takes the words out of it too)."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Boolean, ColumnElement, Text, and_, bindparam, column, false, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

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


# SQLite's FTS5 table over tickets.search_text (external content: rowid = tickets.id).
_FTS = table("ticket_search_fts", column("rowid"), column("search_text", Text))
# FTS5's trigram index serves a LIKE only with 3 characters in a row and no ESCAPE clause
# (SQLite hands a virtual table two-argument LIKE only); otherwise it would read all of
# its own rows, slower than scanning tickets.
_FTS_MIN_CHARS = 3


class _PhraseLike(ColumnElement[bool]):
    """One condition, two spellings: the plain LIKE, and on SQLite the same LIKE asked of
    the FTS5 table. It is chosen when compiling, where the dialect is known."""

    type = Boolean()
    # Both spellings are comparisons: without this, SQLite (no boolean type) would get
    # "... IN (...) = 1", which SQLite cannot answer through the rowid, only by a scan.
    _is_implicitly_boolean = True
    inherit_cache = True
    # What the statement cache keys on (SQLAlchemy's declared type is a list).
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012
        ("scan", InternalTraversal.dp_clauseelement),
        ("indexed", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, scan: ColumnElement[bool], indexed: ColumnElement[bool]) -> None:
        self.scan = scan
        self.indexed = indexed


@compiles(_PhraseLike)
def _scan_sql(element: _PhraseLike, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.scan, **kw)


@compiles(_PhraseLike, "sqlite")
def _fts_sql(element: _PhraseLike, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.indexed, **kw)


def holds_phrase(query: str) -> ColumnElement[bool]:
    """The search text holds the words of `query`, in order, the first from a word's
    start (nothing matches an empty query)."""
    phrase = query_phrase(query)
    if not phrase:
        return false()
    escaped = _like_escaped(phrase)
    if escaped != phrase or len(f" {phrase}") < _FTS_MIN_CHARS:
        return Ticket.search_text.like(f"% {escaped}%", escape="\\")
    # One parameter for both spellings: whichever is compiled carries the value.
    pattern = bindparam("phrase_pattern", f"% {phrase}%", type_=Text, unique=True)
    # FTS5 finds candidates by trigram, then SQLite checks this LIKE on the text itself
    # (read from tickets): the same rows as the scan, found through the index.
    indexed = Ticket.id.in_(select(_FTS.c.rowid).where(_FTS.c.search_text.like(pattern)))
    return _PhraseLike(Ticket.search_text.like(pattern), indexed)


def matches(query: str, staff: StaffMember) -> ColumnElement[bool]:
    """The tickets `staff` may find by searching `query`.

    A confidential ticket only matches for a cleared member: otherwise a search would
    tell an uncleared one what a complaint says, one guessed word at a time."""
    found = holds_phrase(query)
    if staff.can_read_confidential:
        return found
    return and_(Ticket.confidential.is_(False), found)
