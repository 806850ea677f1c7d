"""Transactional outbox: Telegram and Zalo messages written with the change they report.

Callers add messages in their own transaction (nothing is sent if it rolls back); each
channel's dispatcher (Telegram's in the bot process, Zalo's in the Zalo process) claims
its pending rows, sends them and records the outcome.
Every function here flushes and leaves the commit to the caller's unit of work, except
those named `..._and_commit`: the claim, lease and settle steps are the dispatcher's own
short transactions, committed at once so another dispatcher sees them and SQLite's write
lock is not held while a message is being sent.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import OutboxMessage, OutboxStatus
from laikhe.choices import Button, with_choices
from laikhe.chunks import split_text
from laikhe.payloads import CALLBACK_DATA_MAX_BYTES, fits_a_button

UTC: Final = timezone.utc
TELEGRAM: Final = "telegram"
ZALO: Final = "zalo"
# The website widget: its rows are not pushed but handed over when the resident's widget
# fetches its messages (services/web_chat.deliver_pending).
WEB: Final = "web"
CHANNELS: Final = frozenset({TELEGRAM, ZALO, WEB})
# Zalo's sendMessage takes 1 to 2,000 characters and has no buttons: a longer text is
# queued as several rows, the keyboard as numbered lines in the last one.
MAX_ZALO_TEXT_CHARS: Final = 2000
SEND_METHODS: Final = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
MAX_TEXT_CHARS: Final = 4096
MAX_CAPTION_CHARS: Final = 1024
# Rows an earlier message to the same chat is still waiting on: sending later ones
# first would reorder a resident's updates ("đã trả lời" before "đã tiếp nhận").
_UNFINISHED: Final = (OutboxStatus.PENDING, OutboxStatus.SENDING)

Keyboard = list[list[tuple[str, str]]]  # rows of (button text, callback data)


def utcnow() -> datetime:
    return datetime.now(UTC)


def keyboard_json(rows: Keyboard) -> str:
    for row in rows:
        for text, data in row:
            # A longer button would make the whole send fail.
            if not fits_a_button(data):
                limit = CALLBACK_DATA_MAX_BYTES
                raise ValueError(f"callback data of {text!r} is over {limit} bytes: {data!r}")
    return json.dumps(
        {"inline_keyboard": [[{"text": t, "callback_data": d} for t, d in row] for row in rows]},
        ensure_ascii=False,
    )


def _fit(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


async def enqueue(
    *,
    session: AsyncSession,
    chat_id: int | None = None,
    purpose: str,
    text: str | None = None,
    method: str = "sendMessage",
    file_id: str | None = None,
    keyboard: Keyboard | None = None,
    ticket_id: int | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
    channel: str = TELEGRAM,
    recipient: str | None = None,
) -> OutboxMessage | None:
    """Add one message to send; None when `dedupe_key` was already enqueued.

    Telegram chats are named by `chat_id`, Zalo ones by `recipient` (a string id)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if method not in SEND_METHODS:
        raise ValueError(f"unsupported method {method!r}")
    if method == "sendMessage" and not text:
        raise ValueError("a text message needs text")
    if method != "sendMessage" and not file_id:
        raise ValueError(f"{method} needs a file id")
    if dedupe_key is not None and await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    if channel == WEB:
        if recipient is None or chat_id is not None or method != "sendMessage" or not text:
            raise ValueError("a web message is a text to a widget session")
        return await _add_pending(
            session, now, channel=WEB, recipient=recipient, method="sendMessage",
            text=text, reply_markup=keyboard_json(keyboard) if keyboard else None,
            purpose=purpose, ticket_id=ticket_id, dedupe_key=dedupe_key,
        )  # fmt: skip
    if channel == ZALO:
        if recipient is None or chat_id is not None or method != "sendMessage" or not text:
            raise ValueError("a Zalo message is a text to a recipient")
        return await _enqueue_zalo(
            session, now, recipient=recipient, text=text, keyboard=keyboard,
            purpose=purpose, ticket_id=ticket_id, dedupe_key=dedupe_key,
        )  # fmt: skip
    if chat_id is None or recipient is not None:
        raise ValueError("a Telegram message goes to a chat id")
    limit = MAX_TEXT_CHARS if method == "sendMessage" else MAX_CAPTION_CHARS
    return await _add_pending(
        session,
        now,
        channel=TELEGRAM,
        chat_id=chat_id,
        method=method,
        text=_fit(text, limit),
        file_id=file_id,
        reply_markup=keyboard_json(keyboard) if keyboard else None,
        purpose=purpose,
        ticket_id=ticket_id,
        dedupe_key=dedupe_key,
    )


async def _enqueue_zalo(
    session: AsyncSession,
    now: datetime | None,
    *,
    recipient: str,
    text: str,
    keyboard: Keyboard | None,
    purpose: str,
    ticket_id: int | None,
    dedupe_key: str | None,
) -> OutboxMessage:
    """The text in rows of at most 2,000 characters, the buttons numbered in the last
    one; its keyboard is kept too, so the Zalo process reads a typed number back as the
    button. Rows to one recipient are sent in id order, so the pieces stay in order."""
    buttons = [Button(title, data) for row in keyboard or [] for title, data in row]
    pieces = split_text(with_choices(text, buttons), MAX_ZALO_TEXT_CHARS)
    row: OutboxMessage | None = None
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        row = await _add_pending(
            session,
            now,
            channel=ZALO,
            recipient=recipient,
            method="sendMessage",
            text=piece,
            reply_markup=keyboard_json(keyboard) if keyboard and last else None,
            purpose=purpose,
            ticket_id=ticket_id,
            # One key per message, on its first row: a second enqueue finds it.
            dedupe_key=dedupe_key if index == 0 else None,
        )
    assert row is not None  # split_text gives at least one piece
    return row


async def _add_pending(session: AsyncSession, now: datetime | None, **fields: Any) -> OutboxMessage:
    """A new row, due now, not yet attempted."""
    due = now or utcnow()
    row = OutboxMessage(
        created_at=due,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=due,
        **fields,
    )
    session.add(row)
    await session.flush()
    return row


async def claim_batch_and_commit(
    *,
    session: AsyncSession,
    limit: int = 20,
    now: datetime | None = None,
    channel: str = TELEGRAM,
) -> list[OutboxMessage]:
    """Mark due rows as being sent by this caller (committed) and return them.

    The conditional UPDATE is the claim: a second dispatcher running the same statement
    finds those rows no longer pending (PostgreSQL re-checks the WHERE after waiting for
    the row lock; SQLite serialises writers), so no row is ever claimed twice.
    """
    now = now or utcnow()
    token = str(uuid.uuid4())
    candidate = aliased(OutboxMessage)
    earlier = aliased(OutboxMessage)
    waiting_on_earlier = exists().where(
        earlier.channel == candidate.channel,
        # NULL = NULL is not true: a Telegram row matches by chat id, a Zalo one by recipient.
        or_(earlier.chat_id == candidate.chat_id, earlier.recipient == candidate.recipient),
        earlier.id < candidate.id,
        earlier.status.in_(_UNFINISHED),
    )
    due = (
        select(candidate.id)
        .where(
            candidate.channel == channel,
            candidate.status == OutboxStatus.PENDING,
            candidate.next_attempt_at <= now,
            ~waiting_on_earlier,
        )
        .order_by(candidate.id)
        .limit(limit)
    )
    # Read first: on SQLite an UPDATE takes the database write lock, and this runs every
    # second while the action server writes tickets.
    if await session.scalar(due.limit(1)) is None:
        await session.rollback()
        return []
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due), OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)
    )
    return list(rows.all())


async def _settle_and_commit(
    *, session: AsyncSession, row: OutboxMessage, values: dict[str, object]
) -> bool:
    # Only the claimant may settle its claim (a stale dispatcher cannot overwrite).
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row.id,
            OutboxMessage.claim_token == row.claim_token,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(getattr(result, "rowcount", 0))


async def mark_sent_and_commit(
    *,
    session: AsyncSession,
    row: OutboxMessage,
    telegram_message_id: int | None,
    now: datetime | None = None,
) -> bool:
    return await _settle_and_commit(
        session=session,
        row=row,
        values={
            "status": OutboxStatus.SENT,
            "sent_at": now or utcnow(),
            "telegram_message_id": telegram_message_id,
            "attempts": row.attempts + 1,
            "last_error": None,
        },
    )


async def mark_retry_and_commit(
    *,
    session: AsyncSession,
    row: OutboxMessage,
    delay: timedelta,
    error: str,
    chat_id: int | None = None,
    count_attempt: bool = True,
    now: datetime | None = None,
) -> bool:
    values: dict[str, object] = {
        "status": OutboxStatus.PENDING,
        "next_attempt_at": (now or utcnow()) + delay,
        "claim_token": None,
        "attempts": row.attempts + (1 if count_attempt else 0),
        "last_error": error[:2000],
    }
    if chat_id is not None:
        values["chat_id"] = chat_id
    return await _settle_and_commit(session=session, row=row, values=values)


async def mark_failed_and_commit(
    *,
    session: AsyncSession,
    row: OutboxMessage,
    error: str,
    status: OutboxStatus = OutboxStatus.FAILED,
) -> bool:
    return await _settle_and_commit(
        session=session,
        row=row,
        values={"status": status, "attempts": row.attempts + 1, "last_error": error[:2000]},
    )


async def release_and_commit(*, session: AsyncSession, row: OutboxMessage) -> bool:
    """Give an unsent claim back (the dispatcher is stopping before reaching it)."""
    return await _settle_and_commit(
        session=session,
        row=row,
        values={"status": OutboxStatus.PENDING, "claim_token": None},
    )


INTERRUPTED: Final = "gửi bị gián đoạn giữa chừng: không rõ đã đến hay chưa, không tự gửi lại"


async def renew_claim_and_commit(
    *, session: AsyncSession, row: OutboxMessage, now: datetime | None = None
) -> bool:
    """Called by the claimant right before it sends `row`: renews the lease of its whole
    batch and says whether it still owns `row`.

    A live dispatcher's batch never expires however slow it is, and one whose claim was
    expired meanwhile (it stalled past the lease and another dispatcher marked the row
    unknown) learns it here instead of sending a message that staff may resend. Both
    statements are conditional, so they cannot interleave wrongly with the expiry.
    """
    now = now or utcnow()
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.claim_token == row.claim_token,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    owned = await session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.id == row.id,
            OutboxMessage.claim_token == row.claim_token,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
    )
    await session.commit()
    return owned is not None


async def expire_stale_claims_and_commit(
    *,
    session: AsyncSession,
    lease: timedelta,
    now: datetime | None = None,
    channel: str = TELEGRAM,
) -> list[OutboxMessage]:
    """Rows left 'sending' by a dispatcher that died mid-request.

    Telegram has no idempotency key, so such a message may already be in the chat;
    sending it again could duplicate it. They become UNKNOWN (visible to staff, who can
    requeue them with `python -m admin outbox retry`) rather than being resent blindly.
    One conditional UPDATE: a claim renewed meanwhile by its live owner is left alone.
    """
    cutoff = (now or utcnow()) - lease
    stale = (
        OutboxMessage.channel == channel,
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.claimed_at < cutoff,
    )
    if await session.scalar(select(OutboxMessage.id).where(*stale).limit(1)) is None:
        await session.rollback()  # the usual case: no write lock taken
        return []
    token = str(uuid.uuid4())
    await session.execute(
        update(OutboxMessage)
        .where(*stale)
        .values(status=OutboxStatus.UNKNOWN, claim_token=token, last_error=INTERRUPTED)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)
    )
    return list(rows.all())


async def requeue(*, session: AsyncSession, message_id: int, now: datetime | None = None) -> bool:
    """Staff decided a failed or unknown message should be sent (again)."""
    row = await session.get(OutboxMessage, message_id)
    if row is None or row.status not in (OutboxStatus.FAILED, OutboxStatus.UNKNOWN):
        return False
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = now or utcnow()
    row.claim_token = None
    await session.flush()
    return True


async def list_messages(
    *, session: AsyncSession, statuses: tuple[OutboxStatus, ...] | None = None, limit: int = 50
) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if statuses:
        query = query.where(OutboxMessage.status.in_(statuses))
    return list((await session.scalars(query)).all())


# Telegram lets a bot delete its own messages in a group for 48 hours after sending.
DELETE_METHOD: Final = "deleteMessage"
DELETABLE_FOR: Final = timedelta(hours=48)


async def enqueue_delete(
    *,
    session: AsyncSession,
    chat_id: int,
    message_id: int,
    purpose: str,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue the deletion of a message the bot sent (telegram_message_id names it).

    Through the outbox like any send: committed with the change that asks for it,
    retried on 429/5xx, in order after the chat's earlier messages. No ticket link: the
    row must not tie the deleted message back to anyone.
    """
    return await _add_pending(
        session,
        now,
        channel=TELEGRAM,
        chat_id=chat_id,
        method=DELETE_METHOD,
        purpose=purpose,
        telegram_message_id=message_id,
    )
