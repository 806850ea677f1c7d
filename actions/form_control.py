"""Leaving a form, and input that belongs to no current step (an old button, a photo)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.feedback import FORM as FEEDBACK_FORM
from actions.feedback import photo_id_of
from actions.ticket_forms import ALL_FORM_SLOTS


class CancelForm(Action):
    """«Hủy» / «thôi» in any ticket form: nothing is stored, every form slot is emptied."""

    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_form_cancelled")
        return [*(SlotSet(slot, None) for slot in ALL_FORM_SLOTS), SlotSet("requested_slot", None)]


class UnexpectedInput(Action):
    """Say why nothing happened; inside a form the rules then ask the current question again."""

    def name(self) -> str:
        return "action_unexpected_input"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
        form = tracker.active_loop.get("name")
        if form == FEEDBACK_FORM and photo_id_of(tracker) is not None:
            # The form's validation runs again on this message when the form resumes and
            # says what became of the photo (kept, or why not): one reply, not two.
            return []
        in_form = bool(form)
        response = "utter_photo_not_expected" if "photo" in entities else "utter_stale_button"
        if in_form:
            dispatcher.utter_message(response=response)
        else:
            # Outside a form the menu follows: the variant that points to it.
            dispatcher.utter_message(response=f"{response}_menu")
            dispatcher.utter_message(response="utter_help")
        return []
