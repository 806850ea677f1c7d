"""The consent step every flow that keeps a name, a contact or a chat id goes through.

One notice and one pair of buttons for all forms, so a resident agrees to the same text
whatever they send, and a consent already given in this chat is not asked again.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import DatabaseUnavailable, channel_of, database
from laikhe.logsafe import pseudonym
from services.consent import (
    CONSENT_NOTICE,
    CONSENT_NOTICE_VERSION,
    PURPOSE_FEEDBACK,
    has_consent,
    record_consent,
)

AGREE = {"title": "Đồng ý", "payload": "/affirm"}
REFUSE = {"title": "Không đồng ý", "payload": "/deny"}


def consent_buttons() -> list[dict[str, str]]:
    return [dict(AGREE), dict(REFUSE)]


def ask_consent(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(text=CONSENT_NOTICE, buttons=consent_buttons())


async def chat_has_consent(sender_id: str) -> bool:
    """False when the database cannot tell: asking again is the safe side."""
    try:
        async with database(f"consent look-up for {pseudonym(sender_id)}") as session:
            # Only a consent to the notice shown now counts (a changed notice is asked again).
            return await has_consent(
                session=session,
                sender_id=sender_id,
                purpose=PURPOSE_FEEDBACK,
                notice_version=CONSENT_NOTICE_VERSION,
            )
    except DatabaseUnavailable:
        return False


async def store_consent(tracker: Tracker, *, granted: bool) -> bool:
    """Record the button press; False (logged) when it could not be stored."""
    try:
        async with database(f"storing the consent of {pseudonym(tracker.sender_id)}") as session:
            await record_consent(
                session=session,
                channel=channel_of(tracker),
                sender_id=tracker.sender_id,
                purpose=PURPOSE_FEEDBACK,
                notice_version=CONSENT_NOTICE_VERSION,
                granted=granted,
            )
    except DatabaseUnavailable:
        return False
    return True


def consent_value(intent: str | None) -> Any:
    """affirm -> True, deny -> False, anything else -> None (ask again)."""
    return {"affirm": True, "deny": False}.get(intent or "")
