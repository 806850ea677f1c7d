"""«Xóa dữ liệu của tôi»: after a confirmation, erase this chat's personal data.

The ticket database is erased here (services/privacy.erase_personal_data). The engine's
record of this conversation cannot be: the engine stores the turn after this action
returns. So the answer carries a signal, a custom message {"erase_conversation": true},
and the bot erases the tracker store rows once the reply has been delivered.
"""

from __future__ import annotations

from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import DatabaseUnavailable, channel_of, database
from actions.wording import line
from laikhe.logsafe import pseudonym
from services.privacy import ErasureReport, erase_personal_data

# The contract with bot/conversation.py.
ERASE_CONVERSATION_SIGNAL: Final = {"erase_conversation": True}


def erasure_summary(domain: DomainDict, report: ErasureReport) -> str:
    """What was erased and, as truthfully, what was not and why: the lines that apply,
    each worded in domain.yml (utter_line_erased_*, utter_line_kept_*)."""
    lines = [line(domain, "utter_line_erased")]
    if report.tickets:
        lines.append(line(domain, "utter_line_erased_tickets", count=report.tickets))
    if report.withdrawn:
        lines.append(line(domain, "utter_line_erased_withdrawn", count=report.withdrawn))
    if report.attachments:
        lines.append(line(domain, "utter_line_erased_attachments", count=report.attachments))
    if report.consent_records:
        lines.append(line(domain, "utter_line_erased_consents"))
    if report.group_messages_deleting:
        lines.append(
            line(domain, "utter_line_erasing_group_messages", count=report.group_messages_deleting)
        )
    # Erased by the bot once this reply is delivered (bot/__main__.eraser_for).
    lines.append(line(domain, "utter_line_erased_conversation"))
    lines.append(line(domain, "utter_line_kept"))
    if report.tickets:
        lines.append(line(domain, "utter_line_kept_statistics"))
    if report.group_messages_kept:
        lines.append(
            line(domain, "utter_line_kept_group_messages", count=report.group_messages_kept)
        )
    if report.tickets:
        lines.append(line(domain, "utter_line_kept_staff_copies"))
    lines.append(line(domain, "utter_line_kept_on_device"))
    return "\n".join(lines)


class DeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reset = [SlotSet("delete_confirm", None), SlotSet("requested_slot", None)]
        if tracker.get_slot("delete_confirm") is not True:
            dispatcher.utter_message(response="utter_delete_kept")
            return reset
        try:
            async with database(f"erasure for {pseudonym(tracker.sender_id)}") as session:
                report = await erase_personal_data(
                    session=session, channel=channel_of(tracker), sender_id=tracker.sender_id
                )
        except DatabaseUnavailable:
            dispatcher.utter_message(response="utter_erasure_failed")
            return reset
        dispatcher.utter_message(text=erasure_summary(domain, report))
        dispatcher.utter_message(json_message=dict(ERASE_CONVERSATION_SIGNAL))
        return reset
