"""Whom a conversation belongs to, across channels.

The engine keeps one conversation per sender id, and tickets and consents store it:
Telegram's is the chat id as it always was ("123456789"), Zalo's is prefixed
("zalo:<chat id>"), and so is a website widget session's ("web:<session id>"), so the
channels never share a conversation, a ticket list or a
consent even where their numbers happen to be equal.
"""

from __future__ import annotations

from typing import Final

ZALO_PREFIX: Final = "zalo:"


def zalo_sender_id(chat_id: str) -> str:
    return f"{ZALO_PREFIX}{chat_id}"


def zalo_chat_of(sender_id: str) -> str | None:
    """The Zalo chat id in a sender id, None when it is not a Zalo one."""
    if not sender_id.startswith(ZALO_PREFIX):
        return None
    chat = sender_id.removeprefix(ZALO_PREFIX)
    return chat or None


WEB_PREFIX: Final = "web:"


def web_sender_id(session_id: str) -> str:
    return f"{WEB_PREFIX}{session_id}"


def web_session_of(sender_id: str) -> str | None:
    """The widget session id in a sender id, None when it is not a web one."""
    if not sender_id.startswith(WEB_PREFIX):
        return None
    session = sender_id.removeprefix(WEB_PREFIX)
    return session or None
