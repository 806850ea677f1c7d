"""Button payloads: the one place that writes ``/intent{"entity":"value"}`` and knows how
long a Telegram button's callback data may be.

Rasa reads a message that starts with ``/`` as that intent with those entities; the
Telegram bot sends a button's payload as its callback data, which Telegram limits.
"""

from __future__ import annotations

import json
from typing import Final

# Telegram's limit on a button's callback data, in bytes (Bot API, InlineKeyboardButton).
CALLBACK_DATA_MAX_BYTES: Final = 64


def payload(intent: str, **entities: str) -> str:
    """``/intent`` with its entities as compact JSON (quotes in a value escaped)."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, separators=(',', ':'), ensure_ascii=False)}"


def fits_a_button(data: str) -> bool:
    """Whether Telegram accepts this as a button's callback data."""
    return len(data.encode()) <= CALLBACK_DATA_MAX_BYTES
