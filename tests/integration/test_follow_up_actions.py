"""Follow-up, ask-staff and delete-my-data actions: real Tracker and dispatcher, real databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.follow_up import (
    ActionTicketOp,
    AskTicketNote,
    CancelFollowUp,
    SubmitTicketNote,
    TicketOp,
    ValidateTicketNoteForm,
    parse_op,
)
from actions.privacy import DeleteMyData
from actions.request_human import (
    CONTEXT_HEADER,
    ActionRequestHuman,
    AskHumanConsent,
    SubmitHumanRequest,
    ValidateHumanRequestForm,
    recent_conversation,
)
from actions.status import AskTicketCode, CheckTicketStatus
from db.models import ConsentRecord, Ticket, TicketState
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from services.calendar import add_working_days
from services.consent import CONSENT_NOTICE
from services.privacy import ERASED_CONTENT
from services.tickets import TicketPolicy
from tests.integration.ticket_helpers import Sessions, load, move, new_ticket
from tests.replies import DOMAIN, said, text_of

OWNER, STRANGER = "1001", "2002"
# An old, malformed or foreign button (the reply is worded in domain.yml).
BAD_BUTTON = ("utter_bad_ticket_button", {})
NOTE_DONE = [
    SlotSet("ticket_code", None),
    SlotSet("ticket_note", None),
    SlotSet("ticket_note_for", None),
    SlotSet("ticket_note_needed", False),
]


pytestmark = pytest.mark.usefixtures("action_runtime")


def tracker(
    *,
    sender_id: str = OWNER,
    slots: dict[str, Any] | None = None,
    op: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    entities = [{"entity": "op", "value": op}] if op is not None else []
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message={
            "text": "/ticket_op",
            "intent": {"name": "ticket_op"},
            "entities": entities,
        },
        events=events or [{"event": "user", "text": "x", "input_channel": "telegram"}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def press(op: str, *, sender_id: str = OWNER) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionTicketOp().run(dispatcher, tracker(sender_id=sender_id, op=op), DOMAIN)
    return events, dispatcher.messages


# --- the payload contract -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("rate:LK-2026-000001:5", TicketOp("rate", "LK-2026-000001", "5")),
        ("reopen:LK-2026-000001", TicketOp("reopen", "LK-2026-000001")),
        ("show:lk-2026-7", TicketOp("show", "LK-2026-000007")),
        ("withdraw:LK-2026-000001:ok", TicketOp("withdraw", "LK-2026-000001", "ok")),
        ("delete:LK-2026-000001", None),
        ("rate:LK-2026-000001:5:6", None),
        ("show:xLK-2026-000001y", None),
        ("show:", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_op(value: object, expected: TicketOp | None) -> None:
    assert parse_op(value) == expected


# --- status, by code and "my tickets" -------------------------------------------------


async def test_owner_of_a_new_ticket_gets_add_and_withdraw_buttons(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    owner, stranger = CollectingDispatcher(), CollectingDispatcher()
    events = await CheckTicketStatus().run(owner, tracker(slots={"ticket_code": code}), DOMAIN)
    assert events == [SlotSet("ticket_code", None)]
    await CheckTicketStatus().run(
        stranger, tracker(sender_id=STRANGER, slots={"ticket_code": code}), DOMAIN
    )
    [mine] = owner.messages
    assert mine["buttons"] == [
        {"title": "Bổ sung thông tin", "payload": f'/ticket_op{{"op":"add:{code}"}}'},
        {"title": "Rút ý kiến", "payload": f'/ticket_op{{"op":"withdraw:{code}"}}'},
    ]
    assert "Wifi ở nhà văn hóa" in text_of(mine)
    [theirs] = stranger.messages
    assert theirs["buttons"] == []
    assert text_of(theirs) == (
        f"Ý kiến {code}\n• Trạng thái: Mới tiếp nhận\n• Đơn vị xử lý: Phòng Kinh tế\n"
        f"• Hạn trả lời: {text_of(theirs).rsplit(': ', 1)[1]}"
    )
    assert "Wifi" not in text_of(theirs) and "Phản ánh" not in text_of(theirs)


async def test_closed_ticket_offers_reopen_and_rating_to_the_owner(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    await move(sessions, code, TicketState.CLOSED, datetime.now(commune_zone()))
    events, [message] = await press(f"show:{code}")
    assert events == NOTE_DONE
    assert [b["title"] for b in message["buttons"]] == [
        "Chưa được giải quyết",
        "1 ★",
        "2 ★",
        "3 ★",
        "4 ★",
        "5 ★",
    ]
    assert message["buttons"][-1]["payload"] == f'/ticket_op{{"op":"rate:{code}:5"}}'
    assert "1 đến 5 sao" in text_of(message)


async def test_reopen_is_not_offered_after_the_window(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    await move(
        sessions, code, TicketState.ANSWERED, datetime.now(commune_zone()) - timedelta(days=31)
    )
    _, [message] = await press(f"show:{code}")
    assert "buttons" not in message or message["buttons"] == []


async def test_my_tickets_are_listed_with_show_buttons(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    first = await new_ticket(sessions, commune)
    second = await new_ticket(sessions, commune, content="Đèn đường thôn Mẫu 2 không sáng")
    await new_ticket(sessions, commune, sender_id=STRANGER, content="Của người khác")
    dispatcher = CollectingDispatcher()
    assert await AskTicketCode().run(dispatcher, tracker(), DOMAIN) == []
    [message] = dispatcher.messages
    assert [b["payload"] for b in message["buttons"]] == [
        f'/ticket_op{{"op":"show:{second}"}}',
        f'/ticket_op{{"op":"show:{first}"}}',
    ]
    assert "Đèn đường thôn Mẫu 2" in text_of(message) and "Của người khác" not in text_of(message)


async def test_without_tickets_the_code_is_asked(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    await AskTicketCode().run(dispatcher, tracker(sender_id="nobody"), domain)
    assert said(dispatcher.messages[0]) == ("utter_ask_ticket_code", {})


# --- withdraw ---------------------------------------------------------------------------


async def test_withdraw_asks_then_withdraws_and_an_old_button_changes_nothing(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    events, [ask] = await press(f"withdraw:{code}")
    assert events == NOTE_DONE
    assert [b["payload"] for b in ask["buttons"]] == [
        f'/ticket_op{{"op":"withdraw:{code}:ok"}}',
        f'/ticket_op{{"op":"show:{code}"}}',
    ]
    assert (await load(sessions, code))[0].state == TicketState.NEW  # only asked

    _, [done] = await press(f"withdraw:{code}:ok")
    assert said(done) == ("utter_withdrawn", {"code": code})
    assert text_of(done) == f"Đã rút ý kiến {code}. Cảm ơn Anh/Chị đã báo lại cho xã."
    ticket, history = await load(sessions, code)
    assert ticket.state == TicketState.WITHDRAWN
    assert (history[-1].from_state, history[-1].to_state) == ("new", "withdrawn")

    _, [again] = await press(f"withdraw:{code}:ok")
    assert (
        text_of(again) == f"Ý kiến {code} đang ở trạng thái «Đã rút». Ý kiến đã được rút trước đó."
    )
    assert len((await load(sessions, code))[1]) == len(history)


async def test_withdraw_after_staff_took_it_is_refused(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    await move(sessions, code, TicketState.ASSIGNED, datetime.now(commune_zone()))
    _, [message] = await press(f"withdraw:{code}")
    assert "Cán bộ đã tiếp nhận nên không rút lại được" in text_of(message)
    assert (await load(sessions, code))[0].state == TicketState.ASSIGNED


@pytest.mark.parametrize(
    "op",
    ["withdraw:{code}:ok", "add:{code}", "rate:{code}:5", "reopen:{code}"],
)
async def test_someone_elses_code_changes_nothing(
    sessions: Sessions, commune: CommuneConfig, op: str
) -> None:
    code = await new_ticket(sessions, commune)
    if op.startswith("rate"):
        await move(sessions, code, TicketState.CLOSED, datetime.now(commune_zone()))
    before = await load(sessions, code)
    events, [message] = await press(op.format(code=code), sender_id=STRANGER)
    assert events == NOTE_DONE
    assert text_of(message).startswith(f"Ý kiến {code} không được gửi từ tài khoản này")
    after = await load(sessions, code)
    assert (after[0].state, after[0].satisfaction, len(after[1])) == (
        before[0].state,
        before[0].satisfaction,
        len(before[1]),
    )


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("rate:LK-2026-424242:5", "Không tìm thấy ý kiến có mã LK-2026-424242"),
        ("withdraw:LK-2026-424242", "Không tìm thấy ý kiến có mã LK-2026-424242"),
        ("rate:LK-2026-000001:năm", BAD_BUTTON),
        ("withdraw:LK-2026-000001:maybe", BAD_BUTTON),
        ("explode:LK-2026-000001", BAD_BUTTON),
        ("<b>*_", BAD_BUTTON),
    ],
)
async def test_unknown_and_malformed_operations_get_a_clear_reply(
    op: str, expected: str | tuple[str, dict[str, Any]]
) -> None:
    events, [message] = await press(op)
    assert events == NOTE_DONE
    if isinstance(expected, tuple):
        assert said(message) == expected
    else:
        assert text_of(message).startswith(expected)


# --- add information and reopen (the note form) -----------------------------------------


async def test_add_information_asks_for_the_text_then_appends_it(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    events, messages = await press(f"add:{code}")
    assert messages == []
    assert events == [
        SlotSet("ticket_code", None),
        SlotSet("ticket_note", None),
        SlotSet("ticket_note_for", f"add:{code}"),
        SlotSet("ticket_note_needed", True),
    ]
    assert len((await load(sessions, code))[1]) == 1  # the dry run left nothing behind

    ask = CollectingDispatcher()
    await AskTicketNote().run(ask, tracker(slots={"ticket_note_for": f"add:{code}"}), DOMAIN)
    assert said(ask.messages[0]) == ("utter_ask_added_information", {"code": code})
    assert text_of(ask.messages[0]).startswith(f"Anh/Chị gõ nội dung cần bổ sung cho ý kiến {code}")

    note = "Chiều nay wifi lại mất <b>hẳn</b>, cả xóm không dùng được"
    dispatcher = CollectingDispatcher()
    events = await SubmitTicketNote().run(
        dispatcher, tracker(slots={"ticket_note_for": f"add:{code}", "ticket_note": note}), DOMAIN
    )
    assert events == [*NOTE_DONE[1:], SlotSet("requested_slot", None)]
    assert said(dispatcher.messages[0]) == ("utter_information_added", {"code": code})
    assert text_of(dispatcher.messages[0]).startswith(f"Đã bổ sung thông tin vào ý kiến {code}")
    ticket, history = await load(sessions, code)
    assert ticket.state == TicketState.NEW
    assert (history[-1].note, history[-1].from_state, history[-1].to_state) == (note, "new", "new")


@pytest.mark.parametrize("typed", ["ok", "😀😀😀", ""])
async def test_a_too_short_note_is_refused(typed: str) -> None:
    dispatcher = CollectingDispatcher()
    result = await ValidateTicketNoteForm().validate_ticket_note(
        typed, dispatcher, tracker(), DOMAIN
    )
    assert result == {"ticket_note": None}
    assert "Nội dung hơi ngắn" in text_of(dispatcher.messages[0])


async def test_add_to_a_closed_ticket_is_refused_before_asking(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    await move(sessions, code, TicketState.CLOSED, datetime.now(commune_zone()))
    events, [message] = await press(f"add:{code}")
    assert events == NOTE_DONE
    assert "có thể đề nghị mở lại" in text_of(message)


async def test_reopen_within_the_window_asks_why_then_reopens_with_a_new_due_date(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    code = await new_ticket(sessions, commune)
    await move(
        sessions, code, TicketState.ANSWERED, datetime.now(commune_zone()) - timedelta(days=2)
    )
    events, _ = await press(f"reopen:{code}")
    assert events[-2:] == [
        SlotSet("ticket_note_for", f"reopen:{code}"),
        SlotSet("ticket_note_needed", True),
    ]
    ask = CollectingDispatcher()
    await AskTicketNote().run(ask, tracker(slots={"ticket_note_for": f"reopen:{code}"}), DOMAIN)
    assert said(ask.messages[0]) == ("utter_ask_reopen_reason", {"code": code})
    assert "vì sao vấn đề trong ý kiến" in text_of(ask.messages[0])

    reason = "Wifi vẫn chưa được sửa, tôi vừa ra nhà văn hóa kiểm tra"
    dispatcher = CollectingDispatcher()
    await SubmitTicketNote().run(
        dispatcher,
        tracker(slots={"ticket_note_for": f"reopen:{code}", "ticket_note": reason}),
        DOMAIN,
    )
    ticket, history = await load(sessions, code)
    assert ticket.state == TicketState.REOPENED and history[-1].note == reason
    today = datetime.now(commune_zone()).date()
    days = TicketPolicy.from_config(commune).working_days_for("phan_anh")
    assert ticket.due_date == add_working_days(today, days)
    due = ticket.due_date.strftime("%d/%m/%Y")
    assert said(dispatcher.messages[0]) == ("utter_reopened", {"code": code, "due_date": due})
    assert text_of(dispatcher.messages[0]).endswith(due)


async def test_reopen_too_late_or_of_an_open_ticket_is_refused(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    late = await new_ticket(sessions, commune)
    await move(
        sessions, late, TicketState.CLOSED, datetime.now(commune_zone()) - timedelta(days=40)
    )
    still_open = await new_ticket(sessions, commune)
    events, [too_late] = await press(f"reopen:{late}")
    assert events == NOTE_DONE
    assert "quá 30 ngày" in text_of(too_late)
    _, [not_finished] = await press(f"reopen:{still_open}")
    assert "Chỉ mở lại được ý kiến đã được trả lời hoặc đã đóng" in text_of(not_finished)
    assert (await load(sessions, late))[0].state == TicketState.CLOSED


# --- rating -------------------------------------------------------------------------------


async def test_rating_once_on_a_closed_ticket(sessions: Sessions, commune: CommuneConfig) -> None:
    code = await new_ticket(sessions, commune)
    _, [early] = await press(f"rate:{code}:5")
    assert "đánh giá được khi ý kiến đã đóng" in text_of(early)
    await move(sessions, code, TicketState.CLOSED, datetime.now(commune_zone()))
    _, [out_of_range] = await press(f"rate:{code}:9")
    assert text_of(out_of_range) == "Anh/Chị chọn từ 1 đến 5 sao giúp."
    _, [thanks] = await press(f"rate:{code}:4")
    assert said(thanks) == ("utter_rated", {"score": 4, "code": code})
    assert text_of(thanks).startswith(
        f"Cảm ơn Anh/Chị đã đánh giá 4/5 cho kết quả xử lý ý kiến {code}"
    )
    _, [twice] = await press(f"rate:{code}:1")
    assert text_of(twice) == f"Anh/Chị đã đánh giá ý kiến {code} rồi. Cảm ơn Anh/Chị!"
    assert (await load(sessions, code))[0].satisfaction == 4


async def test_cancel_resets_every_follow_up_slot(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    events = await CancelFollowUp().run(dispatcher, tracker(), domain)
    assert events == [
        SlotSet("ticket_note", None),
        SlotSet("ticket_note_for", None),
        SlotSet("ticket_note_needed", False),
        SlotSet("human_question", None),
        SlotSet("human_consent", None),
        SlotSet("human_context", None),
        SlotSet("delete_confirm", None),
        SlotSet("requested_slot", None),
    ]
    assert dispatcher.messages[0]["response"] == "utter_follow_up_cancelled"
    assert "utter_follow_up_cancelled" in domain["responses"]


# --- ask staff ----------------------------------------------------------------------------

CONVERSATION = [
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "cai wifi nha van hoa hong roi", "input_channel": "telegram"},
    {"event": "bot", "text": "Xin lỗi, tôi chưa chắc đã hiểu đúng. Ý Anh/Chị là:"},
    {"event": "user", "text": "/deny", "input_channel": "telegram"},
    {"event": "bot", "text": "Tôi vẫn chưa hiểu rõ câu hỏi. " + "x" * 300},
    {"event": "user", "text": "/request_human", "input_channel": "telegram"},
]


def test_recent_conversation_is_trimmed_and_leaves_out_payloads_and_the_request() -> None:
    assert recent_conversation(CONVERSATION) == (
        "Người dân: cai wifi nha van hoa hong roi\n"
        "Trợ lý: Xin lỗi, tôi chưa chắc đã hiểu đúng. Ý Anh/Chị là:\n"
        f"Trợ lý: Tôi vẫn chưa hiểu rõ câu hỏi. {'x' * 169}…"
    )
    assert recent_conversation([]) == ""


async def test_request_human_keeps_the_recent_conversation_and_a_fresh_question_only() -> None:
    slots = {"pending_question": "cai wifi nha van hoa hong roi"}
    kept = [
        SlotSet("human_consent", None),
        SlotSet("human_question", None),
        SlotSet("human_context", recent_conversation(CONVERSATION)),
    ]
    offered = [*CONVERSATION[:-1], {"event": "action", "name": "action_offer_staff_question"}]
    offered.append(CONVERSATION[-1])
    events = await ActionRequestHuman().run(
        CollectingDispatcher(), tracker(slots=slots, events=offered), DOMAIN
    )
    assert events == kept
    # Asked out of the blue: an old unanswered question is not sent without asking.
    events = await ActionRequestHuman().run(
        CollectingDispatcher(), tracker(slots=slots, events=CONVERSATION), DOMAIN
    )
    assert events == [*kept, SlotSet("pending_question", None)]


async def test_consent_is_asked_once_per_chat_and_the_question_only_when_none_is_pending(
    sessions: Sessions,
) -> None:
    form = ValidateHumanRequestForm()
    dispatcher = CollectingDispatcher()

    async def required(slots: dict[str, Any]) -> list[str]:
        return await form.required_slots([], dispatcher, tracker(slots=slots), DOMAIN)

    assert await required({}) == ["human_consent", "human_question"]
    assert await required({"pending_question": "Xã có wifi miễn phí không"}) == ["human_consent"]
    assert await form.validate_human_consent(True, dispatcher, tracker(), DOMAIN) == {
        "human_consent": True
    }
    async with sessions() as session:
        record = (await session.scalars(select(ConsentRecord))).one()
    assert (record.sender_id, record.granted, record.channel) == (OWNER, True, "telegram")
    assert await required({}) == ["human_question"]
    assert await required({"pending_question": "Xã có wifi miễn phí không"}) == []
    assert await required({"human_consent": False}) == ["human_consent"]


async def test_question_ticket_carries_the_question_and_the_conversation(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    context = "Người dân: cai wifi hong\nTrợ lý: Xin lỗi..."
    dispatcher = CollectingDispatcher()
    events = await SubmitHumanRequest().run(
        dispatcher,
        tracker(
            slots={
                "human_consent": True,
                "human_question": "Khi nào xã sửa wifi nhà văn hóa thôn Mẫu 1?",
                "human_context": context,
            }
        ),
        {},
    )
    assert events == [
        SlotSet("human_consent", None),
        SlotSet("human_question", None),
        SlotSet("human_context", None),
        SlotSet("pending_question", None),
    ]
    async with sessions() as session:
        ticket = (await session.scalars(select(Ticket))).one()
    assert ticket.kind == "cau_hoi" and ticket.sender_id == OWNER
    assert ticket.content == (
        f"Khi nào xã sửa wifi nhà văn hóa thôn Mẫu 1?\n\n{CONTEXT_HEADER}\n{context}"
    )
    [message] = dispatcher.messages
    assert text_of(message) == (
        f"Đã gửi câu hỏi tới {commune.intake_office.name}. Mã: {ticket.code}\n"
        "Cán bộ sẽ trả lời qua cuộc trò chuyện này.\n"
        f"Hạn trả lời dự kiến: {ticket.due_date.strftime('%d/%m/%Y')}"
    )


async def test_pending_question_is_sent_when_none_was_typed(sessions: Sessions) -> None:
    await SubmitHumanRequest().run(
        CollectingDispatcher(),
        tracker(slots={"human_consent": True, "pending_question": "Xã có wifi miễn phí không"}),
        {},
    )
    async with sessions() as session:
        ticket = (await session.scalars(select(Ticket))).one()
    assert ticket.content == "Xã có wifi miễn phí không"


async def test_refused_consent_sends_nothing(sessions: Sessions) -> None:
    dispatcher = CollectingDispatcher()
    await SubmitHumanRequest().run(
        dispatcher,
        tracker(slots={"human_consent": False, "human_question": "Câu hỏi gì đó"}),
        DOMAIN,
    )
    assert text_of(dispatcher.messages[0]).startswith("Câu hỏi chưa được gửi")
    async with sessions() as session:
        assert (await session.scalars(select(Ticket))).all() == []


async def test_consent_notice_is_the_shared_one() -> None:
    dispatcher = CollectingDispatcher()
    assert await AskHumanConsent().run(dispatcher, tracker(), DOMAIN) == []
    assert text_of(dispatcher.messages[0]) == CONSENT_NOTICE
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]


# --- delete my data -------------------------------------------------------------------------


async def test_delete_my_data_erases_and_signals_the_bot(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    open_code = await new_ticket(sessions, commune)
    other = await new_ticket(sessions, commune, sender_id=STRANGER)
    await ValidateHumanRequestForm().validate_human_consent(
        True, CollectingDispatcher(), tracker(), DOMAIN
    )
    dispatcher = CollectingDispatcher()
    events = await DeleteMyData().run(dispatcher, tracker(slots={"delete_confirm": True}), DOMAIN)
    assert events == [SlotSet("delete_confirm", None), SlotSet("requested_slot", None)]
    summary, signal = dispatcher.messages
    assert text_of(summary).startswith("Đã xóa dữ liệu cá nhân của Anh/Chị:")
    assert "1 ý kiến đang xử lý đã được rút lại" in text_of(summary)
    assert signal["custom"] == {"erase_conversation": True}
    ticket, _ = await load(sessions, open_code)
    assert (ticket.sender_id, ticket.content, ticket.state) == (
        None,
        ERASED_CONTENT,
        TicketState.WITHDRAWN,
    )
    assert (await load(sessions, other))[0].sender_id == STRANGER
    async with sessions() as session:
        assert (await session.scalars(select(ConsentRecord))).all() == []


async def test_delete_refused_keeps_everything(sessions: Sessions, commune: CommuneConfig) -> None:
    code = await new_ticket(sessions, commune)
    dispatcher = CollectingDispatcher()
    await DeleteMyData().run(dispatcher, tracker(slots={"delete_confirm": False}), DOMAIN)
    assert dispatcher.messages == [
        {
            "text": None,
            "buttons": [],
            "elements": [],
            "custom": {},
            "template": "utter_delete_kept",
            "response": "utter_delete_kept",
            "image": None,
            "attachment": None,
        }
    ]
    assert (await load(sessions, code))[0].sender_id == OWNER
