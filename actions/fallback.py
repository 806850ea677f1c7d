"""Fallback that helps: "Ý Anh/Chị là..." with the two likeliest topics, then an offer to
send the question to staff. Every miss is logged (without the sender) for the report."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import DatabaseUnavailable, channel_of, database
from laikhe.payloads import payload
from laikhe.topics import FAQ_TOPIC_TITLES, INTENT_TITLES
from services.answer_log import record_unanswered_question


def clarification_buttons(latest_message: dict[str, Any], limit: int = 2) -> list[dict[str, str]]:
    """The likeliest topics as buttons, FAQ keys expanded from the response selector."""
    faq_ranking = ((latest_message.get("response_selector") or {}).get("faq") or {}).get(
        "ranking"
    ) or []
    buttons: list[dict[str, str]] = []
    for entry in latest_message.get("intent_ranking") or []:
        name = entry.get("name")
        if name == "faq":
            for faq in faq_ranking:
                key = str(faq.get("intent_response_key", "")).partition("/")[2]
                if key in FAQ_TOPIC_TITLES:
                    buttons.append(
                        {
                            "title": FAQ_TOPIC_TITLES[key],
                            "payload": payload("faq", faq_topic=key),
                        }
                    )
                    break
        elif name in INTENT_TITLES:
            buttons.append({"title": INTENT_TITLES[name], "payload": payload(name)})
        if len(buttons) == limit:
            break
    return buttons


def previous_bot_action(tracker: Tracker) -> str | None:
    """The last action the assistant ran before the resident's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action":
            name = event.get("name")
            if name and name != "action_listen":
                return str(name)
    return None


async def log_unanswered(text: str, channel: str) -> None:
    # The resident still gets an answer; only the report loses one line.
    with suppress(DatabaseUnavailable):
        async with database("logging an unanswered question") as session:
            await record_unanswered_question(session=session, text=text, channel=channel)


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = str(tracker.latest_message.get("text") or "").strip()
        await log_unanswered(text, channel_of(tracker))
        if previous_bot_action(tracker) == "action_clarify":
            offer_staff(dispatcher)
            return [SlotSet("pending_question", text or tracker.get_slot("pending_question"))]
        buttons = clarification_buttons(tracker.latest_message)
        buttons.append({"title": "Không phải các ý trên", "payload": "/deny"})
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return [SlotSet("pending_question", text)]


def offer_staff(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(
        response="utter_offer_staff_question",
        buttons=[
            {"title": "Gửi câu hỏi cho cán bộ", "payload": "/request_human"},
            {"title": "Xem hướng dẫn", "payload": "/help"},
        ],
    )


class ActionOfferStaffQuestion(Action):
    def name(self) -> str:
        return "action_offer_staff_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        offer_staff(dispatcher)
        return []
