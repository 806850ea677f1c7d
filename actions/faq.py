"""FAQ answers (ResponseSelector) with local facts filled in from the commune configuration."""

from __future__ import annotations

from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import channel_of, database, get_runtime
from actions.ticket_forms import DRAFT_SLOT, draft_payload
from laikhe.commune import CommuneConfig
from laikhe.opinion import offers_to_send, reading_of, redirected_from
from laikhe.payloads import payload
from laikhe.validators import clean_text
from services.answer_log import record_faq_vote

NOT_UPDATED = "chưa cập nhật"
VOTE_USEFUL = "yes"
VOTE_UNCLEAR = "no"


def faq_topic_of(latest_message: dict[str, Any]) -> str | None:
    """The FAQ key asked: from a menu button's entity, else from the ResponseSelector."""
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") == "faq_topic" and entity.get("value"):
            return str(entity["value"])
    selector = (latest_message.get("response_selector") or {}).get("faq") or {}
    key = (selector.get("response") or {}).get("intent_response_key")
    if isinstance(key, str) and "/" in key:
        return key.split("/", 1)[1]
    return None


def office_contacts_text(commune: CommuneConfig) -> str:
    lines = []
    for office in commune.offices:
        contact = office.contact
        sample = " (mẫu)" if contact.sample else ""
        lines.append(
            f"• {office.name}: địa chỉ {contact.address or NOT_UPDATED}; "
            f"giờ làm việc {contact.opening_hours or NOT_UPDATED}; "
            f"điện thoại {contact.phone or NOT_UPDATED}{sample}"
        )
    return "\n".join(lines)


def event_info_text(commune: CommuneConfig) -> str:
    if not commune.commune.events:
        return (
            "Lịch tổ chức sự kiện của xã: chưa cập nhật. Anh/Chị hỏi Phòng Văn hóa - Xã hội "
            "hoặc theo dõi thông báo của thôn."
        )
    return "\n".join(
        f"• {event.name}: {event.date}" + (f", tại {event.place}" if event.place else "")
        for event in commune.commune.events
    )


def village_team_info_text(commune: CommuneConfig) -> str:
    # Whether each village of this commune has set up its team is not a checked fact.
    return (
        "Tổ công nghệ số cộng đồng ở các thôn của xã: chưa cập nhật. "
        "Anh/Chị hỏi trưởng thôn nơi mình ở."
    )


def feedback_due_days_text(commune: CommuneConfig) -> str:
    # The same setting that dates every ticket, so the answer cannot drift from it.
    return str(commune.due_working_days["default"])


def local_facts(commune: CommuneConfig) -> dict[str, str]:
    return {
        "office_contacts": office_contacts_text(commune),
        "event_info": event_info_text(commune),
        "village_team_info": village_team_info_text(commune),
        "feedback_due_days": feedback_due_days_text(commune),
    }


# The offer on an answer to a message the engine found probably an opinion.
SEND_OPINION_BUTTON: Final = {
    "title": "Gửi ý kiến này tới xã",
    "payload": draft_payload("give_feedback"),
}


# The action a resident asked how to do (explain_first in config.yml), one tap away under
# its explanation.
ACTION_BUTTONS: Final = {
    "check_ticket_status": {
        "title": "Tra cứu ý kiến đã gửi",
        "payload": payload("check_ticket_status"),
    },
    "delete_my_data": {"title": "Xóa dữ liệu của tôi", "payload": payload("delete_my_data")},
    "request_human": {"title": "Gặp cán bộ", "payload": payload("request_human")},
}


def draft_of(tracker: Tracker) -> list[dict[str, Any]]:
    """Keep the typed question and its reading, so a later offer to send it («Gửi ý kiến
    này tới xã», «Gửi câu hỏi cho cán bộ») starts the form with it; a button keeps none."""
    message = tracker.latest_message or {}
    text = clean_text(str(message.get("text") or ""))
    if not text.strip() or text.lstrip().startswith("/"):
        return [SlotSet(DRAFT_SLOT, None)]
    return [SlotSet(DRAFT_SLOT, {"text": text, "opinion": reading_of(message)})]


def vote_buttons(topic: str) -> list[dict[str, str]]:
    return [
        {
            "title": "Hữu ích",
            "payload": payload("faq_vote", vote=VOTE_USEFUL, faq_topic=topic),
        },
        {
            "title": "Chưa rõ",
            "payload": payload("faq_vote", vote=VOTE_UNCLEAR, faq_topic=topic),
        },
    ]


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        topic = faq_topic_of(tracker.latest_message)
        response = f"utter_faq/{topic}"
        if topic is None or response not in (domain.get("responses") or {}):
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(response=response, **local_facts(get_runtime().commune))
        buttons = vote_buttons(topic)
        action_button = ACTION_BUTTONS.get(redirected_from(tracker.latest_message or {}) or "")
        if action_button is not None:
            buttons.append(dict(action_button))
        elif offers_to_send(tracker.latest_message or {}):
            buttons.append(dict(SEND_OPINION_BUTTON))
        dispatcher.utter_message(response="utter_ask_faq_useful", buttons=buttons)
        return draft_of(tracker)


class ActionRecordFaqVote(Action):
    def name(self) -> str:
        return "action_record_faq_vote"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        vote = next(tracker.get_latest_entity_values("vote"), None)
        topic = next(tracker.get_latest_entity_values("faq_topic"), None)
        if vote not in (VOTE_USEFUL, VOTE_UNCLEAR) or not topic:
            dispatcher.utter_message(response="utter_default")
            return []
        async with database("recording an FAQ vote") as session:
            await record_faq_vote(
                session=session,
                topic=str(topic),
                useful=vote == VOTE_USEFUL,
                channel=channel_of(tracker),
            )
        # The question answered, when it was typed, goes with the offer to ask staff.
        draft = tracker.get_slot(DRAFT_SLOT)
        staff_question = (
            draft_payload("give_feedback", as_question=True) if draft else "/give_feedback"
        )
        if vote == VOTE_USEFUL:
            dispatcher.utter_message(response="utter_faq_vote_thanks")
        else:
            dispatcher.utter_message(
                response="utter_faq_vote_unclear",
                buttons=[{"title": "Gửi câu hỏi cho cán bộ", "payload": staff_question}],
            )
        return []
