"""SQLAlchemy 2 typed models. Alembic (db/migrations) is the only thing that changes the schema."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import ENUM_LENGTH, UtcDateTime, enum_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TicketKind(str, enum.Enum):
    GOP_Y = "gop_y"
    PHAN_ANH = "phan_anh"
    KIEN_NGHI = "kien_nghi"
    CAU_HOI = "cau_hoi"
    THONG_TIN_SAI = "thong_tin_sai"
    KHIEU_NAI_TO_CAO = "khieu_nai_to_cao"


class TicketState(str, enum.Enum):
    NEW = "new"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    CLOSED = "closed"
    FORWARDED = "forwarded"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"


class StaffRole(str, enum.Enum):
    OFFICER = "officer"
    OFFICE_LEAD = "office_lead"
    COMMUNE_LEADER = "commune_leader"
    ADMIN = "admin"


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_intake: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # An office may keep its group on Zalo instead of Telegram (cards without buttons).
    zalo_group_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(300))
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    contact_is_sample: Mapped[bool] = mapped_column(Boolean, default=False)


class Village(Base):
    __tablename__ = "villages"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    office: Mapped[Office] = relationship()


class StaffMember(Base):
    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Staff act from Telegram, from Zalo (commands in an office's Zalo group or
    # privately), or both: at least one of the two ids is set.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    zalo_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole), default=StaffRole.OFFICER)
    can_read_confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every web session carries the number it was opened with; raising it (staff
    # signout-all) ends them all at their next request.
    web_session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    office: Mapped[Office | None] = relationship()


class WebSignInLink(Base):
    """A one-time back office sign-in link sent to a staff member's private Telegram chat.

    Only the SHA-256 of its random token is kept: a copy of the database cannot sign
    anyone in. Used once (used_at), before expires_at."""

    __tablename__ = "web_sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TicketSequence(Base):
    """Per prefix and year counter behind human-readable ticket codes (LK-2026-000123)."""

    __tablename__ = "ticket_sequences"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    # The back office queue: each filter narrows by office (or not, commune-wide) and
    # each sort order walks one of these, so a page of 50 reads 50 rows, not 100,000.
    # PostgreSQL also has a trigram index on search_text (migration 8832e1f72212; not
    # declared here because SQLite has no such index type); SQLite has an FTS5 trigram
    # table for it and covering indexes for the overview page instead (398111ce9fc4).
    __table_args__ = (
        Index("ix_tickets_office_created", "office_id", "created_at"),
        Index("ix_tickets_office_due", "office_id", "due_date"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_due_date", "due_date"),
        Index("ix_tickets_village_id", "village_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[TicketKind] = mapped_column(enum_column(TicketKind))
    state: Mapped[TicketState] = mapped_column(enum_column(TicketState), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    content: Mapped[str] = mapped_column(Text)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who sent it: the conversation id (Telegram chat id, or a terminal session) and
    # the channel. Nulled when the resident asks for their data to be deleted.
    channel: Mapped[str] = mapped_column(String(32))
    sender_id: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_date: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # 1-5 from the one satisfaction question asked after closing; None = not answered.
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    # When staff last answered (time-to-answer in the report without reading the history);
    # cleared with closed_at when the resident reopens, the history keeps every cycle.
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set when the sender had their personal data erased; the row stays for statistics.
    anonymised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Kind-specific details as plain nullable columns rather than one JSON "details"
    # blob: the six-monthly report groups by them on SQLite and PostgreSQL alike without
    # dialect JSON operators, mypy sees their types, and erasure names each personal
    # field explicitly instead of hoping to find it inside a document.
    # Business proposals (kien_nghi from a hộ kinh doanh / doanh nghiệp). The contact
    # person is contact_name / contact_phone / contact_email above.
    business_name: Mapped[str | None] = mapped_column(String(200))
    tax_code: Mapped[str | None] = mapped_column(String(14))  # "0100109106-001"
    sector: Mapped[str | None] = mapped_column(String(120))
    # Misinformation reports: where it was seen (a link or a platform name) and the
    # false claim as the resident quotes it; `content` stays the resident's own message.
    source: Mapped[str | None] = mapped_column(String(500))
    claim: Mapped[str | None] = mapped_column(Text)
    # The form submission that created it (random, from the «Gửi / Sửa / Hủy» summary):
    # a second «Gửi» of the same form, e.g. after a timeout, finds this ticket instead of
    # making another. Unique, so the database refuses a duplicate whatever the path.
    submission_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when staff mark it a duplicate: the earlier open ticket about the same problem,
    # whose answer this ticket's sender is sent too.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # What the back office search matches: content, claim and staff answers, folded
    # (lower case, no diacritics, đ -> d) by services.ticket_search, so "mat mang" finds
    # "mất mạng". Personal text: erasure and retention clear it with the content.
    search_text: Mapped[str | None] = mapped_column(Text)

    office: Mapped[Office] = relationship()
    category: Mapped[Category | None] = relationship()
    village: Mapped[Village | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[TicketAttachment]] = relationship(
        back_populates="ticket", order_by="TicketAttachment.id", cascade="all, delete-orphan"
    )


class TicketEvent(Base):
    """One state change or action on a ticket: who, when, from, to, note.

    Information a resident adds later is an event too, with to_state == from_state and
    the text in `note`, rather than a separate notes table: staff read one chronological
    history of the ticket, and erasure has one place to scrub free text.
    """

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(80))
    from_state: Mapped[TicketState | None] = mapped_column(enum_column(TicketState))
    to_state: Mapped[TicketState] = mapped_column(enum_column(TicketState))
    note: Mapped[str | None] = mapped_column(Text)
    # A note staff wrote for colleagues (services.lifecycle INTERNAL_NOTE): labelled as
    # such, never sent to the resident, not activity that keeps the ticket from expiring.
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class ConsentRecord(Base):
    """An explicit consent act (a button press), as the personal data law requires."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    # None for a refusal: refusing is how a resident sends an anonymous suggestion, and
    # deciding consent never needs it (a refusal stamps the chat's consents withdrawn).
    sender_id: Mapped[str | None] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    notice_version: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    given_at: Mapped[datetime] = mapped_column(UtcDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FaqVote(Base):
    """A resident's "Hữu ích" / "Chưa rõ" on an FAQ answer; anonymous, for the report."""

    __tablename__ = "faq_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    useful: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class UnansweredQuestion(Base):
    """A message the assistant did not understand (NLU fallback), kept without any link to
    the sender, so the six-monthly report can show where residents need more information."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class SavedAnswer(Base):
    """A reusable answer text an office keeps for its staff (back office «Mẫu trả lời»).

    Belongs to one office: another office never lists, reads or edits it."""

    __tablename__ = "saved_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProposalStatus(str, enum.Enum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class FaqProposal(Base):
    """A question and answer staff propose for the assistant's FAQ, reviewed by a leader.

    Accepting changes nothing in the assistant: the commune's maintainer copies accepted
    entries into nlu/faq.yml and nlu/faq_responses.yml and trains a new model. Contact
    details are masked before the row is written."""

    __tablename__ = "faq_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus), index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    office: Mapped[Office | None] = relationship()
    proposed_by: Mapped[StaffMember] = relationship(foreign_keys=[proposed_by_id])
    reviewed_by: Mapped[StaffMember | None] = relationship(foreign_keys=[reviewed_by_id])


class AttachmentKind(str, enum.Enum):
    PHOTO = "photo"
    DOCUMENT = "document"


class TicketAttachment(Base):
    """A photo or file a resident sent with a ticket.

    From Telegram only the file id is kept, not the bytes: the bot can send the file on
    by its id. File ids belong to one bot: a new bot token cannot open the old ones.
    Photos from Zalo or the website are re-encoded and kept on our disk
    (services/photo_store.py) under `storage_key`; exactly one of the two is set, and the
    file is deleted with the row (erasure, retention).
    """

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    telegram_file_id: Mapped[str | None] = mapped_column(String(255))
    storage_key: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[AttachmentKind] = mapped_column(enum_column(AttachmentKind))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"  # waiting for the dispatcher (maybe after a backoff)
    SENDING = "sending"  # claimed by one dispatcher, the request is in flight
    SENT = "sent"
    FAILED = "failed"  # failed for good (blocked by the user, chat gone, retries exhausted)
    UNKNOWN = "unknown"  # interrupted mid-request: may or may not have arrived, not resent


class OutboxMessage(Base):
    """A message to send (Telegram or Zalo), written in the same transaction as the change
    it reports.

    The dispatcher in the bot process claims pending rows (status -> sending, with its
    claim token) before calling Telegram and marks them sent right after, so a message
    is never sent by two dispatchers, survives a restart while pending, and a failure
    stays visible here (and in the ticket's history) instead of in a log only.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The channel that sends it (its own dispatcher claims only its rows) and the chat:
    # a Telegram chat id is a number, a Zalo one a string (`recipient`); exactly one of
    # the two is set.
    channel: Mapped[str] = mapped_column(
        String(16), default="telegram", server_default="telegram", index=True
    )
    chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    recipient: Mapped[str | None] = mapped_column(String(64), index=True)
    # sendMessage, sendPhoto or sendDocument; text is the message text or the caption.
    method: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(255))
    reply_markup: Mapped[str | None] = mapped_column(Text)  # Bot API JSON
    # What the message is for (new_ticket, resident_update, digest, ...): logs and staff.
    purpose: Mapped[str] = mapped_column(String(48))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    # Makes an enqueue idempotent (one digest per office and day, even across restarts).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)


class WebChatMessage(Base):
    """One message of a web chat (the commune website's widget), so a resident who comes
    back on the same device sees the conversation and the office's answers.

    `sender_id` is the widget session's ("web:<id>", laikhe.senders). An answer or notice
    from the outbox is copied here when the widget fetches it; `outbox_id` is unique, so
    a row is delivered once however many fetches race.
    """

    __tablename__ = "web_chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(64), index=True)
    from_resident: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(Text)
    # The buttons the message offered: a JSON list of [title, payload].
    buttons: Mapped[str | None] = mapped_column(Text)
    # No foreign key: the outbox row may be erased or pruned while the history stays.
    outbox_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


__all__ = [
    "AttachmentKind",
    "Base",
    "Category",
    "ConsentRecord",
    "FaqProposal",
    "FaqVote",
    "Office",
    "OutboxMessage",
    "OutboxStatus",
    "ProposalStatus",
    "SavedAnswer",
    "StaffMember",
    "StaffRole",
    "Ticket",
    "TicketAttachment",
    "TicketEvent",
    "TicketKind",
    "TicketSequence",
    "TicketState",
    "UnansweredQuestion",
    "Village",
    "WebChatMessage",
    "WebSignInLink",
]
