"""The resident feedback form (give_feedback): consent, the kind and field the engine
read in the first message (one step to confirm), or kind and field asked, content,
village, a likely duplicate, name and phone for the formal kinds, then «Gửi / Sửa /
Hủy», where photos can be added."""

from __future__ import annotations

import logging
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.privacy import ERASE_CONVERSATION_SIGNAL
from actions.runtime import DatabaseUnavailable, SavedTicket, channel_of, database
from actions.ticket_forms import (
    AskConsent,
    TicketFormValidation,
    ask_summary_or_edit,
    consent_answer,
    extract_consent,
    reset_slots,
    resolve_confirmation,
    say_submitted,
    submit_form_ticket,
)
from actions.wording import line
from db.models import AttachmentKind, TicketKind
from laikhe.first_message import draft_content, slots_from_first_message
from laikhe.labels import KIND_LABELS
from laikhe.opinion import OPINION_KINDS, Proposal, propose
from laikhe.payloads import payload
from laikhe.validators import match_choice, validate_feedback_text
from laikhe.vntext import normalize
from services.duplicates import find_likely_duplicate
from services.photo_store import is_photo_reference
from services.tickets import NewTicket, list_categories, list_villages

logger = logging.getLogger(__name__)

FORM: Final = "feedback_form"
NO_VILLAGE: Final = "none"
NO_DUPLICATE: Final = "none"
PHOTOS_DONE: Final = "none"
MAX_FORM_PHOTOS: Final = 5
# Formal feedback needs a name and a contact (Decree 20/2008 as amended by 92/2017); a
# suggestion or a question is answered in this chat without them.
FORMAL_KINDS: Final = frozenset({TicketKind.PHAN_ANH.value, TicketKind.KIEN_NGHI.value})
KIND_CHOICES: Final = {
    kind.value: KIND_LABELS[kind.value]
    for kind in (TicketKind.GOP_Y, TicketKind.PHAN_ANH, TicketKind.KIEN_NGHI, TicketKind.CAU_HOI)
}
# Typed ways of saying "no (more) photos".
NO_MORE_PHOTOS: Final = frozenset(
    {"xong", "khong", "khong co", "khong co anh", "bo qua", "het", "du roi", "k", "ko"}
)
# Answers to the reading step: apply what was read, or ask the kind / the field / both.
READING_OK: Final = "ok"
READING_ASK_KIND: Final = "kind"
READING_ASK_CATEGORY: Final = "category"
READING_ASK_BOTH: Final = "none"
READING_ANSWERS: Final = frozenset(
    {READING_OK, READING_ASK_KIND, READING_ASK_CATEGORY, READING_ASK_BOTH}
)
CONTACT_SLOTS: Final = ("contact_name", "contact_phone")
EDITABLE_LABELS: Final = {
    "feedback_kind": "Loại ý kiến",
    "feedback_category": "Lĩnh vực",
    "feedback_content": "Nội dung",
    "feedback_village": "Thôn",
    "contact_name": "Họ tên",
    "contact_phone": "Số điện thoại",
    "feedback_photos_done": "Ảnh",
}
# At the summary, «Sửa» -> «Ảnh» (or a typed "thêm ảnh") asks for photos.
ADD_PHOTOS_SLOT: Final = "feedback_add_photos"


def inform_payload(entity: str, value: str) -> str:
    return payload("inform", **{entity: value})


async def _category_choices() -> dict[str, str]:
    async with database("category list") as session:
        return {c.code: c.name for c in await list_categories(session=session)}


async def _village_choices() -> dict[str, str]:
    async with database("village list") as session:
        return {
            v.code: f"{v.name} (mẫu)" if v.is_sample else v.name
            for v in await list_villages(session=session)
        }


def shown_reading(slots: dict[str, Any]) -> tuple[str | None, str | None]:
    """The kind and field the reading step shows: what the engine proposed and is not
    answered yet (an anonymous opinion is a góp ý, so its kind is not shown)."""
    proposal = Proposal.from_slot(slots.get("feedback_proposal"))
    if proposal is None:
        return None, None
    kind = proposal.kind if slots.get("feedback_kind") is None else None
    if slots.get("feedback_consent") is False:
        kind = None
    category = proposal.category if slots.get("feedback_category") is None else None
    return kind, category


def feedback_slots(slots: dict[str, Any]) -> list[str]:
    """The questions that apply, in order, given what is already known."""
    required = ["feedback_consent"]
    if slots.get("feedback_reading") is not None or any(shown_reading(slots)):
        required.append("feedback_reading")
    required += [
        "feedback_kind",
        "feedback_category",
        "feedback_content",
        "feedback_village",
    ]
    if slots.get("feedback_duplicate_code") not in (None, NO_DUPLICATE):
        required.append("feedback_duplicate")
        if slots.get("feedback_duplicate") == "follow":
            return required
    # A name or phone given in the first message is kept until consent and kind are
    # answered; refusing consent or a kind that needs no contact clears them
    # (validate_feedback_consent, validate_feedback_kind): only what the ticket needs.
    given = [slot for slot in CONTACT_SLOTS if slots.get(slot) is not None]
    if slots.get("feedback_consent") is None:
        required += given
    if slots.get("feedback_consent") is True:
        if slots.get("feedback_kind") in FORMAL_KINDS:
            required += list(CONTACT_SLOTS)
        elif slots.get("feedback_kind") is None:
            required += given
        # Photos are offered at the summary, where one can be sent at once; the step is
        # asked only when the resident chooses «Sửa» -> «Ảnh».
        if slots.get(ADD_PHOTOS_SLOT):
            required.append("feedback_photos_done")
    required.append("feedback_confirm")
    return required


def editable_slots(slots: dict[str, Any]) -> list[str]:
    """What «Sửa» offers: the fields asked or read, photos once consent is given (an
    anonymous opinion can only be a góp ý, so its kind is not offered)."""
    required = feedback_slots(slots)
    editable = [slot for slot in EDITABLE_LABELS if slot in required]
    if slots.get("feedback_consent") is True and "feedback_photos_done" not in editable:
        editable.append("feedback_photos_done")
    if slots.get("feedback_consent") is False and "feedback_kind" in editable:
        editable.remove("feedback_kind")
    return editable


def photo_id_of(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "photo" and entity.get("value") != PHOTOS_DONE:
            return str(entity.get("value"))
    return None


class AskFeedbackConsent(AskConsent):
    slot = "feedback_consent"


def likely_first(choices: dict[str, str], proposal: Proposal | None) -> dict[str, str]:
    """The configured fields, the likeliest ones the engine read first."""
    likely = [code for code in (proposal.likely_categories if proposal else ()) if code in choices]
    return {code: choices[code] for code in [*likely, *(c for c in choices if c not in likely)]}


class AskFeedbackCategory(Action):
    def name(self) -> str:
        return "action_ask_feedback_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        choices = likely_first(
            await _category_choices(), Proposal.from_slot(tracker.get_slot("feedback_proposal"))
        )
        dispatcher.utter_message(
            response="utter_choose_feedback_category",
            buttons=[
                {"title": name, "payload": inform_payload("category", code)}
                for code, name in choices.items()
            ],
        )
        return []


class AskFeedbackReading(Action):
    """One step for what the engine read: «Đúng», «Sửa loại», «Sửa lĩnh vực»."""

    def name(self) -> str:
        return "action_ask_feedback_reading"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        kind, category = shown_reading(tracker.slots)
        lines = []
        if kind is not None:
            lines.append(line(domain, "utter_line_reading_kind", kind=KIND_LABELS.get(kind, kind)))
        if category is not None:
            names = await _category_choices()
            lines.append(
                line(domain, "utter_line_reading_category", category=names.get(category, category))
            )
        response = "utter_ask_feedback_reading"
        if kind is None:
            response = "utter_ask_feedback_reading_field"
        elif category is None:
            response = "utter_ask_feedback_reading_kind"
        dispatcher.utter_message(response=response, reading="\n".join(lines))
        return []


class AskFeedbackVillage(Action):
    def name(self) -> str:
        return "action_ask_feedback_village"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        choices = await _village_choices()
        buttons = [
            {"title": name, "payload": inform_payload("village", code)}
            for code, name in choices.items()
        ]
        buttons.append(
            {"title": "Không theo thôn / bỏ qua", "payload": inform_payload("village", NO_VILLAGE)}
        )
        dispatcher.utter_message(response="utter_choose_feedback_village", buttons=buttons)
        return []


class AskFeedbackDuplicate(Action):
    def name(self) -> str:
        return "action_ask_feedback_duplicate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        code = str(tracker.get_slot("feedback_duplicate_code"))
        # Only what any chat may see of another resident's ticket: no content, no contact.
        dispatcher.utter_message(
            response="utter_feedback_duplicate_found",
            code=code,
            buttons=[
                {"title": f"Theo dõi {code}", "payload": inform_payload("choice", "follow")},
                {"title": "Vẫn gửi ý kiến mới", "payload": inform_payload("choice", "new")},
            ],
        )
        return []


class AskFeedbackPhotos(Action):
    def name(self) -> str:
        return "action_ask_feedback_photos_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        count = len(tracker.get_slot("feedback_photos") or [])
        done = inform_payload("photo", PHOTOS_DONE)
        if count:
            dispatcher.utter_message(
                response="utter_feedback_photos_received",
                count=count,
                buttons=[{"title": "Xong", "payload": done}],
            )
        else:
            dispatcher.utter_message(
                response="utter_feedback_photos_offer",
                limit=MAX_FORM_PHOTOS,
                buttons=[{"title": "Không có ảnh", "payload": done}],
            )
        return []


async def summary_text(domain: DomainDict, slots: dict[str, Any]) -> str:
    """The summary's lines, each worded in domain.yml (utter_line_summary_*)."""
    categories = await _category_choices()
    villages = await _village_choices()
    kind = str(slots.get("feedback_kind"))
    anonymous = slots.get("feedback_consent") is False
    lines = [
        line(domain, "utter_line_feedback_summary"),
        line(
            domain,
            "utter_line_summary_kind_anonymous" if anonymous else "utter_line_summary_kind",
            kind=KIND_LABELS.get(kind, kind),
        ),
    ]
    category = categories.get(str(slots.get("feedback_category")))
    if category is None:
        lines.append(line(domain, "utter_line_summary_no_category"))
    else:
        lines.append(line(domain, "utter_line_summary_category", category=category))
    village = villages.get(str(slots.get("feedback_village")))
    if village is None:
        lines.append(line(domain, "utter_line_summary_no_village"))
    else:
        lines.append(line(domain, "utter_line_summary_village", village=village))
    lines.append(line(domain, "utter_line_summary_content", content=slots.get("feedback_content")))
    if slots.get("contact_name"):
        lines.append(line(domain, "utter_line_summary_name", name=slots.get("contact_name")))
    if slots.get("contact_phone"):
        lines.append(line(domain, "utter_line_summary_phone", phone=slots.get("contact_phone")))
    photos = len(slots.get("feedback_photos") or [])
    if photos:
        lines.append(line(domain, "utter_line_summary_photos", count=photos))
    if slots.get("feedback_consent") is True and photos < MAX_FORM_PHOTOS:
        lines.append(line(domain, "utter_line_summary_photo_hint", limit=MAX_FORM_PHOTOS))
    return "\n".join(lines)


class AskFeedbackConfirm(Action):
    def name(self) -> str:
        return "action_ask_feedback_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        editable = editable_slots(tracker.slots)
        fields = {slot: label for slot, label in EDITABLE_LABELS.items() if slot in editable}
        return ask_summary_or_edit(
            dispatcher,
            tracker,
            domain,
            confirm_slot="feedback_confirm",
            summary=await summary_text(domain, tracker.slots),
            fields=fields,
        )


class ValidateFeedbackForm(TicketFormValidation):
    editable_labels = EDITABLE_LABELS
    carried_slots = (*TicketFormValidation.carried_slots, "feedback_proposal", "feedback_photos")

    def name(self) -> str:
        return "validate_feedback_form"

    def slots_for(self, slots: dict[str, Any]) -> list[str]:
        return feedback_slots(slots)

    async def first_message_slots(
        self, text: str, reading: Any, *, question: bool = False
    ) -> dict[str, Any]:
        found: dict[str, Any] = dict(
            slots_from_first_message(
                text,
                content_slot="feedback_content",
                phone_slot="contact_phone",
                villages=await _village_choices(),
            )
        )
        if question:
            # «Gửi câu hỏi cho cán bộ» pressed: the resident chose the kind.
            found["feedback_kind"] = TicketKind.CAU_HOI.value
        proposal = propose(
            reading,
            list(await _category_choices()),
            () if question else OPINION_KINDS,
            text=text,
            field_read="feedback_content" in found,  # a matter to read a field from
        )
        if proposal is not None:
            found["feedback_proposal"] = proposal.as_slot()
        return found

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        return [*events, *self._photo_sent_early(dispatcher, tracker)]

    def _photo_sent_early(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        """A photo sent at another step than the photo one (at the summary, or before it
        is asked) is kept, once consent is given; the step is then asked again."""
        photo = photo_id_of(tracker)
        requested = tracker.get_slot("requested_slot")
        if photo is None or requested in (None, "feedback_photos_done"):
            return []
        photos = self._add_photo(photo, tracker, dispatcher)
        if photos is None:
            return []
        tracker.slots["feedback_photos"] = photos
        dispatcher.utter_message(
            response="utter_photo_added", count=len(photos), limit=MAX_FORM_PHOTOS
        )
        return [SlotSet("feedback_photos", photos)]

    @staticmethod
    def _add_photo(
        photo: str, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> list[str] | None:
        """The form's photos with this one added, or None when it is not taken (after
        saying why); the caller sets the slot."""
        if not is_photo_reference(photo):
            logger.warning("dropped a photo value that is not a photo reference")
            # A photo arrives as a Telegram file id or as a photo we stored (Zalo, the
            # website); anything else (a URL, which Telegram would fetch and post in the
            # office group) was not sent as a photo: dropped.
            dispatcher.utter_message(response="utter_not_a_photo")
            return None
        consent = tracker.get_slot("feedback_consent")
        if consent is not True:
            # Photos go with a named opinion only (a photo could show who sent an
            # anonymous one); before consent is answered nothing is kept yet.
            dispatcher.utter_message(
                response="utter_photo_not_expected"
                if consent is None
                else "utter_anonymous_no_photos"
            )
            return None
        photos = list(tracker.get_slot("feedback_photos") or [])
        if len(photos) >= MAX_FORM_PHOTOS:
            dispatcher.utter_message(response="utter_photos_full", limit=MAX_FORM_PHOTOS)
            return None
        return [*photos, photo]

    async def extract_feedback_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await extract_consent("feedback_consent", tracker)

    async def validate_feedback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = await consent_answer("feedback_consent", value, tracker, dispatcher)
        if result["feedback_consent"] is False:
            dispatcher.utter_message(response="utter_feedback_anonymous")
            # Anonymous: a name or phone read from the first message is never kept.
            return {
                **result,
                "feedback_kind": TicketKind.GOP_Y.value,
                **{slot: None for slot in CONTACT_SLOTS if tracker.get_slot(slot)},
            }
        return result

    async def validate_feedback_reading(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        kind, category = shown_reading(tracker.slots)
        answer = value if value in READING_ANSWERS else None
        typed = str(value or "")
        if answer is None:
            # A kind or a field typed instead of a button ("phản ánh", "hạ tầng số"):
            # taken as the correction of that part, the other part as read.
            typed_kind = match_choice(typed, KIND_CHOICES) if kind else None
            typed_category = match_choice(typed, await _category_choices())
            if typed_kind is not None:
                kind, answer = typed_kind, READING_OK
            elif typed_category is not None:
                category, answer = typed_category, READING_OK
        if answer is None:
            added = await self._added_detail(value, tracker, dispatcher)
            if not added:
                dispatcher.utter_message(response="utter_press_reading_button")
            return {"feedback_reading": None, **added}
        result: dict[str, Any] = {"feedback_reading": answer}
        if kind is not None and answer in (READING_OK, READING_ASK_CATEGORY):
            result.update(await self.validate_feedback_kind(kind, dispatcher, tracker, domain))
        if category is not None and answer in (READING_OK, READING_ASK_KIND):
            result.update(
                await self.validate_feedback_category(category, dispatcher, tracker, domain)
            )
        return result

    async def validate_feedback_kind(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("feedback_consent") is False:
            return {"feedback_kind": TicketKind.GOP_Y.value}
        kind = match_choice(str(value or ""), KIND_CHOICES)
        if kind is None:
            added = await self._added_detail(value, tracker, dispatcher)
            if not added:
                dispatcher.utter_message(response="utter_choose_feedback_kind_by_button")
            return {"feedback_kind": None, **added}
        if kind in FORMAL_KINDS:
            return {"feedback_kind": kind}
        return {"feedback_kind": kind, **{s: None for s in CONTACT_SLOTS if tracker.get_slot(s)}}

    async def validate_feedback_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = match_choice(str(value or ""), await _category_choices())
        if code is None:
            added = await self._added_detail(value, tracker, dispatcher, category=None)
            if not added:
                dispatcher.utter_message(response="utter_choose_feedback_category_by_button")
            return {"feedback_category": None, **added}
        return {"feedback_category": code, **await self._duplicate(tracker, category=code)}

    async def validate_feedback_content(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text, problem = validate_feedback_text(str(value or ""))
        if problem:
            dispatcher.utter_message(text=problem)
            return {"feedback_content": None}
        return {"feedback_content": text, **await self._duplicate(tracker, content=text)}

    async def validate_feedback_village(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = NO_VILLAGE if value == NO_VILLAGE else None
        if code is None:
            code = match_choice(str(value or ""), await _village_choices())
        if code is None:
            added = await self._added_detail(value, tracker, dispatcher, village=None)
            if not added:
                dispatcher.utter_message(response="utter_feedback_village_unknown")
            return {"feedback_village": None, **added}
        return {"feedback_village": code, **await self._duplicate(tracker, village=code)}

    async def validate_feedback_duplicate(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"feedback_duplicate": value if value in ("follow", "new") else None}

    async def validate_feedback_photos_done(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        photo = photo_id_of(tracker)
        if photo is not None:
            photos = self._add_photo(photo, tracker, dispatcher)
            if photos is None:
                return {"feedback_photos_done": None}
            if len(photos) >= MAX_FORM_PHOTOS:
                dispatcher.utter_message(response="utter_photos_full", limit=MAX_FORM_PHOTOS)
                return {"feedback_photos_done": PHOTOS_DONE, "feedback_photos": photos}
            return {"feedback_photos_done": None, "feedback_photos": photos}
        if value == PHOTOS_DONE or normalize(str(value or "")) in NO_MORE_PHOTOS:
            return {"feedback_photos_done": PHOTOS_DONE}
        added = await self._added_detail(value, tracker, dispatcher)
        if not added:
            dispatcher.utter_message(response="utter_send_photo_or_press")
        return {"feedback_photos_done": None, **added}

    async def validate_feedback_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = resolve_confirmation(value, "feedback_confirm", editable_slots(tracker.slots))
        if "feedback_photos_done" in result:
            # «Ảnh»: the photo step is asked; new photos replace the old ones.
            result.update({"feedback_photos": None, ADD_PHOTOS_SLOT: True})
        return result

    async def _added_detail(
        self,
        value: Any,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        **unanswered: None,
    ) -> dict[str, Any]:
        """Text typed at a button step that is no answer to it but says more about the
        matter ("đứt từ hôm thứ Hai, cả xóm 3 bị"): added to the draft content (or made
        the content when none was written yet) rather than lost; the step is asked again."""
        detail = draft_content(str(value or ""))
        if detail is None:
            return {}
        content = tracker.get_slot("feedback_content")
        merged, problem = validate_feedback_text(f"{content} {detail}" if content else detail)
        if merged is None or problem is not None:
            return {}
        dispatcher.utter_message(response="utter_detail_added")
        # The step's own slot holds the typed text, not an answer: not used for the look-up.
        duplicate = await self._duplicate(tracker, content=merged, **unanswered)
        return {"feedback_content": merged, **duplicate}

    async def _duplicate(self, tracker: Tracker, **changed: str | None) -> dict[str, Any]:
        """Look for the same problem once category, content and village are all known."""
        known = {
            "category": tracker.get_slot("feedback_category"),
            "content": tracker.get_slot("feedback_content"),
            "village": tracker.get_slot("feedback_village"),
            **changed,
        }
        if any(value is None for value in known.values()):
            return {}
        village = None if known["village"] == NO_VILLAGE else known["village"]
        try:
            async with database("duplicate look-up; the ticket is created anyway") as session:
                ticket = await find_likely_duplicate(
                    session=session,
                    category_code=known["category"],
                    village_code=village,
                    text=str(known["content"]),
                )
        except DatabaseUnavailable:
            ticket = None
        return {
            "feedback_duplicate_code": ticket.code if ticket else NO_DUPLICATE,
            "feedback_duplicate": None,
        }


class SubmitFeedback(Action):
    def name(self) -> str:
        return "action_submit_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("feedback_duplicate") == "follow":
            code = str(tracker.get_slot("feedback_duplicate_code"))
            dispatcher.utter_message(
                response="utter_feedback_following",
                code=code,
                buttons=[
                    {
                        "title": f"Tra cứu {code}",
                        "payload": payload("check_ticket_status", ticket_code=code),
                    }
                ],
            )
            return reset_slots(FORM)
        if tracker.get_slot("feedback_confirm") != "send":
            dispatcher.utter_message(response="utter_form_cancelled")
            return reset_slots(FORM)
        anonymous = tracker.get_slot("feedback_consent") is not True
        village = tracker.get_slot("feedback_village")
        saved = await submit_form_ticket(
            dispatcher,
            tracker,
            NewTicket(
                kind=TicketKind(tracker.get_slot("feedback_kind") or TicketKind.GOP_Y.value),
                content=str(tracker.get_slot("feedback_content")),
                channel=channel_of(tracker),
                sender_id=None if anonymous else tracker.sender_id,
                anonymous=anonymous,
                category_code=tracker.get_slot("feedback_category"),
                village_code=None if village in (None, NO_VILLAGE) else str(village),
                contact_name=tracker.get_slot("contact_name"),
                contact_phone=tracker.get_slot("contact_phone"),
                attachments=tuple(
                    (file_id, AttachmentKind.PHOTO)
                    for file_id in tracker.get_slot("feedback_photos") or ()
                    if is_photo_reference(file_id)  # the slot is set only through the check
                ),
            ),
            confirm_slot="feedback_confirm",
            restart_payload="/give_feedback",
        )
        if not isinstance(saved, SavedTicket):
            return saved
        say_submitted(dispatcher, saved, form="feedback", answer_here=not anonymous)
        if anonymous:
            # "Không lưu ... mã cuộc trò chuyện": the engine keeps this conversation (the
            # content typed, under the chat id) until the bot erases it, as for «xóa dữ
            # liệu của tôi», once this reply is delivered.
            dispatcher.utter_message(json_message=dict(ERASE_CONVERSATION_SIGNAL))
        return reset_slots(FORM)
