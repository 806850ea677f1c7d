"""Typed answers at button steps: what a resident types instead of pressing a button.

A yes/no step (consent, "ghi nhận?", «Gửi / Sửa / Hủy», "xóa dữ liệu?") is decided from
the words typed before the NLU intent is trusted: "vâng, ghi nhận giúp em" is a yes even
when the intent classifier calls it out_of_scope, "ko" is a no even when it says affirm.
A step with a skip button (village, photos) takes its skip words ("bỏ qua") even when
the NLU reads them as `cancel`. A number ("2") picks that button of the question on
screen, as the terminal chat numbers them. Text that is no answer (a question, content typed early)
is left to the slot mappings and the rules, and «hủy» / «thôi» recognised as `cancel`
still cancel the whole form.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from laikhe.validators import match_choice, yes_or_no
from laikhe.vntext import normalize


@dataclass(frozen=True)
class YesNoStep:
    """The two values of a step's slot (None: that answer sets nothing), and the step's
    own button words for each."""

    yes: Any
    no: Any
    yes_words: tuple[str, ...] = ()
    no_words: tuple[str, ...] = ()
    # False: only the step's own words choose ("có" does not pick one of two offers).
    generic: bool = True


CONSENT: Final = YesNoStep(True, False)
# «Gửi» sends, «Sửa» (or a no) opens the field list: the values of actions.ticket_forms.
SUMMARY: Final = YesNoStep(
    "send",
    "menu",
    yes_words=("gửi", "gửi đi", "gửi luôn", "không sửa", "không sửa gửi luôn"),
    no_words=("sửa", "sửa lại", "chỉnh sửa", "cần sửa"),
)
STEPS: Final[dict[str, YesNoStep]] = {
    "feedback_consent": CONSENT,
    "business_consent": CONSENT,
    "complaint_consent": CONSENT,
    "human_consent": CONSENT,
    "complaint_record": YesNoStep(
        "yes", "no", yes_words=("ghi nhận", "ghi lại", "ghi nhận nội dung")
    ),
    "delete_confirm": YesNoStep(
        True, False, yes_words=("xóa", "xóa đi", "xóa dữ liệu"), no_words=("không xóa", "giữ")
    ),
    # What the engine read: «Đúng», or a no that asks kind and field (actions.feedback).
    "feedback_reading": YesNoStep(
        "ok",
        "none",
        yes_words=("đúng", "đúng rồi", "đúng vậy", "chính xác"),
        no_words=("sai", "chưa đúng", "không đúng", "sai rồi"),
    ),
    "feedback_duplicate": YesNoStep(
        "follow",
        "new",
        yes_words=("theo dõi", "theo dõi ý kiến đó"),
        no_words=("vẫn gửi", "gửi mới", "gửi ý kiến mới", "vẫn gửi ý kiến mới"),
        generic=False,
    ),
    # The skip buttons: «Không theo thôn / bỏ qua», «Không có ảnh» / «Xong». A "có" at
    # the photo question sets nothing: the photo itself is the answer.
    "feedback_village": YesNoStep(
        None,
        "none",
        no_words=("bỏ qua", "không theo thôn", "không thuộc thôn nào", "không ghi thôn"),
        generic=False,
    ),
    "feedback_photos_done": YesNoStep(
        None,
        "none",
        no_words=(
            "bỏ qua",
            "xong",
            "không có",
            "không có ảnh",
            "hết",
            "đủ rồi",
            "không gửi ảnh",
        ),
    ),
    "feedback_confirm": SUMMARY,
    "business_confirm": SUMMARY,
    "misinfo_confirm": SUMMARY,
    "complaint_confirm": SUMMARY,
}


# "2", "số 2", "chọn 2": the second button of the question on screen.
_BUTTON_NUMBER: Final = re.compile(r"^(?:(?:so|chon|nut|bam)\s+)?(\d{1,2})\.?$")
# /inform{"kind":"gop_y"}: a button that answers with one value.
_ONE_VALUE: Final = re.compile(r'^/inform\{"[a-z_]+":"([^"]*)"\}$')


def last_buttons(tracker: Tracker) -> list[dict[str, Any]]:
    """The buttons of the bot's last message that had any (the question on screen)."""
    users = [i for i, event in enumerate(tracker.events) if event.get("event") == "user"]
    if not users:
        return []
    # Only what the bot said between the resident's previous message and this one.
    since = users[-2] + 1 if len(users) > 1 else 0
    for event in reversed(tracker.events[since : users[-1]]):
        buttons = (event.get("data") or {}).get("buttons") if event.get("event") == "bot" else None
        if buttons:
            return list(buttons)
    return []


def numbered_answer(text: str, step: YesNoStep | None, buttons: list[dict[str, Any]]) -> Any:
    """The value of the button a typed number names ("2" for the second one), or None."""
    match = _BUTTON_NUMBER.match(normalize(text))
    if match is None or not 1 <= int(match.group(1)) <= len(buttons):
        return None
    payload = str(buttons[int(match.group(1)) - 1].get("payload") or "")
    one = _ONE_VALUE.match(payload)
    if one is not None:
        return one.group(1)
    if payload == "/affirm" and step is not None:
        return step.yes
    if payload == "/deny" and step is not None:
        return step.no
    return None


def typed_answer(tracker: Tracker, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The requested step's slot value read from the typed text, or {} when it is none.

    At the summary, a field named without a yes ("sửa thôn", "số điện thoại") picks that
    field, as its button in the «Sửa» list does; ``fields`` maps slot -> label.
    """
    slot = tracker.get_slot("requested_slot")
    step = STEPS.get(str(slot))
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    if slot is not None and not text.lstrip().startswith("/"):
        numbered = numbered_answer(text, step, last_buttons(tracker))
        if numbered is not None:
            return {str(slot): numbered}
    if step is None:
        return {}
    intent = (message.get("intent") or {}).get("name")
    # A pressed button is a payload the slot mappings already read.
    if text.lstrip().startswith("/"):
        return {}
    # Read as `cancel`, only the step's own words ("bỏ qua") keep the form going.
    generic = step.generic and intent != "cancel"
    answer = yes_or_no(text, yes=step.yes_words, no=step.no_words, generic=generic)
    field = match_choice(text, fields) if step is SUMMARY and fields and not answer else None
    value = field or (None if answer is None else step.yes if answer else step.no)
    return {} if value is None else {str(slot): value}


class TypedAnswerValidation(FormValidationAction, ABC):
    """A form validation in which a typed yes/no overrides what the intent mapped."""

    # The summary's «Sửa» list (slot -> label), for a field named in typed text.
    editable_labels: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        # rasa-sdk's ValidationAction.run (extract, then validate), with the typed answer
        # read once for the turn: it overrides what extraction mapped for its step.
        typed = typed_answer(tracker, self.editable_labels)
        extracted: list[dict[str, Any]] = await self.get_extraction_events(
            dispatcher, tracker, domain
        )
        if typed:
            kept = [event for event in extracted if event.get("name") not in typed]
            extracted = [*kept, *(SlotSet(slot, value) for slot, value in typed.items())]
        tracker.add_slots(extracted)
        events: list[dict[str, Any]] = await self._extract_validation_events(
            dispatcher, tracker, domain
        )
        # An answer the validation replaced (a typed «sửa» becomes an empty confirmation)
        # is recorded first, as the engine records a slot it mapped from the intent, so
        # the next question sees what was answered and shows the field list.
        validated = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        replaced = [SlotSet(s, v) for s, v in typed.items() if validated.get(s) != v]
        return [*replaced, *events]


class ValidateDeleteDataForm(TypedAnswerValidation):
    """«Xóa dữ liệu của tôi»: only so a typed "vâng, xóa giúp em" or "ko" is understood."""

    def name(self) -> str:
        return "validate_delete_data_form"

    async def validate_delete_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"delete_confirm": value if value in (True, False) else None}
