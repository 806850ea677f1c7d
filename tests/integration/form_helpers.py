"""The tracker the engine sends a form's validation or ask action, and one run of an
action with a real CollectingDispatcher: shared by the form tests."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

CHAT = "2001"


def form_tracker(
    form: str | None = "feedback_form",
    *,
    slots: dict[str, Any],
    changed: dict[str, Any] | None = None,
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    text: str = "",
    opinion: dict[str, Any] | None = None,
    sender_id: str = CHAT,
) -> Tracker:
    """A tracker after the resident's latest message, in `form` (None: no form active):
    `changed` are the slots the engine extracted from that message, `opinion` the
    engine's reading of it (laikhe.opinion)."""
    changed = changed or {}
    latest: dict[str, Any] = {"text": text, "intent": {"name": intent}, "entities": entities or []}
    if opinion is not None:
        latest["opinion"] = opinion
    return Tracker(
        sender_id=sender_id,
        slots={**slots, **changed},
        latest_message=latest,
        events=[
            {"event": "user", "text": text, "input_channel": "telegram"},
            *({"event": "slot", "name": k, "value": v} for k, v in changed.items()),
        ],
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


async def run(
    action: Action | FormValidationAction, tracker: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events the action returns and the messages it sends."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return events, dispatcher.messages
