"""Zalo's rows in the outbox, on both databases: a notice goes to the channel the ticket
came from, cut under 2,000 characters with its buttons numbered; each channel's
dispatcher claims only its rows; one chat's rows keep their order; erasure finds them."""

from __future__ import annotations

from sqlalchemy import select

from db.models import OutboxMessage, OutboxStatus, Ticket
from laikhe.commune import CommuneConfig
from services import outbox
from services.notifications import notify_resident, reopen_button, resident_address
from services.privacy import erase_personal_data
from tests.integration.staff_helpers import Sessions
from tests.integration.ticket_helpers import new_ticket
from zalo.dispatcher import keyboard_buttons


async def _ticket(sessions: Sessions, code: str) -> Ticket:
    async with sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
        assert ticket is not None
        return ticket


async def test_a_zalo_ticket_is_answered_on_zalo_and_a_telegram_one_on_telegram(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    on_zalo = await new_ticket(sessions, commune, channel="zalo", sender_id="zalo:77")
    on_telegram = await new_ticket(sessions, commune, channel="telegram", sender_id="77")
    in_terminal = await new_ticket(sessions, commune, channel="terminal", sender_id="t-1")
    forged = await new_ticket(sessions, commune, channel="zalo", sender_id="77")
    zalo_address = resident_address(await _ticket(sessions, on_zalo))
    assert zalo_address is not None
    assert (zalo_address.channel, zalo_address.chat_id, zalo_address.recipient) == (
        "zalo", None, "77",
    )  # fmt: skip
    telegram_address = resident_address(await _ticket(sessions, on_telegram))
    assert telegram_address is not None
    assert (telegram_address.channel, telegram_address.chat_id) == ("telegram", 77)
    assert resident_address(await _ticket(sessions, in_terminal)) is None
    assert resident_address(await _ticket(sessions, forged)) is None

    async with sessions() as session:
        for code in (on_zalo, on_telegram):
            ticket = await session.scalar(select(Ticket).where(Ticket.code == code))
            assert ticket is not None
            body = "Đã xử lý xong. " * 150  # 2,250 characters
            assert await notify_resident(
                session=session, ticket=ticket, text=body, keyboard=[[reopen_button(code)]]
            )
        await session.commit()
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    zalo_rows = [row for row in rows if row.channel == "zalo"]
    telegram_rows = [row for row in rows if row.channel == "telegram"]
    # Telegram: one row, its keyboard as inline buttons, as before.
    assert [(row.chat_id, row.recipient) for row in telegram_rows] == [(77, None)]
    assert telegram_rows[0].text == "Đã xử lý xong. " * 150
    # Zalo: two rows under 2,000 characters, cut at a sentence, the button numbered in
    # the last, whose keyboard is kept so "1" presses it.
    assert [(row.chat_id, row.recipient) for row in zalo_rows] == [(None, "77")] * 2
    assert all(len(row.text or "") <= 2000 for row in zalo_rows)
    assert (zalo_rows[0].text or "").endswith("xong.")
    assert zalo_rows[0].reply_markup is None
    assert "[1] Chưa được giải quyết" in (zalo_rows[1].text or "")
    [button] = keyboard_buttons(zalo_rows[1].reply_markup)
    assert button.payload == reopen_button(on_zalo)[1]


async def test_each_dispatcher_claims_its_channel_and_one_chat_keeps_its_order(
    sessions: Sessions,
) -> None:
    async with sessions() as session:
        first = await outbox.enqueue(
            session=session, channel="zalo", recipient="77", purpose="t", text="một"
        )
        second = await outbox.enqueue(
            session=session, channel="zalo", recipient="77", purpose="t", text="hai"
        )
        other = await outbox.enqueue(
            session=session, channel="zalo", recipient="88", purpose="t", text="khác"
        )
        group = await outbox.enqueue(session=session, chat_id=-100, purpose="t", text="nhóm")
        await session.commit()
        assert first and second and other and group
    async with sessions() as session:
        claimed = await outbox.claim_batch_and_commit(session=session, channel="zalo")
    # "hai" waits for "một" to be settled; Telegram's row is not Zalo's to send.
    assert [row.text for row in claimed] == ["một", "khác"]
    async with sessions() as session:
        assert [r.text for r in await outbox.claim_batch_and_commit(session=session)] == ["nhóm"]
    async with sessions() as session:
        await outbox.mark_sent_and_commit(session=session, row=claimed[0], telegram_message_id=None)
    async with sessions() as session:
        later = await outbox.claim_batch_and_commit(session=session, channel="zalo")
    assert [row.text for row in later] == ["hai"]


async def test_a_zalo_message_needs_a_recipient_and_text(sessions: Sessions) -> None:
    async with sessions() as session:
        for wrong in (
            {"channel": "zalo", "chat_id": 77, "text": "x"},
            {"channel": "zalo", "recipient": "77", "method": "sendPhoto", "file_id": "f"},
            {"channel": "telegram", "recipient": "77", "text": "x"},
            {"channel": "sms", "recipient": "77", "text": "x"},  # no such channel
            {"channel": "web", "chat_id": 77, "text": "x"},  # a widget session is a string
        ):
            try:
                await outbox.enqueue(session=session, purpose="t", **wrong)  # type: ignore[arg-type]
            except ValueError:
                continue
            raise AssertionError(f"accepted {wrong}")


async def test_erasure_drops_the_zalo_senders_messages_only(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await new_ticket(sessions, commune, channel="zalo", sender_id="zalo:77")
    async with sessions() as session:
        mine = await outbox.enqueue(
            session=session, channel="zalo", recipient="77", purpose="t", text="của tôi"
        )
        theirs = await outbox.enqueue(
            session=session, channel="zalo", recipient="88", purpose="t", text="người khác"
        )
        telegram_77 = await outbox.enqueue(session=session, chat_id=77, purpose="t", text="tg")
        assert mine and theirs and telegram_77
        for row in (mine, theirs, telegram_77):
            row.status = OutboxStatus.SENT
        await session.commit()
    async with sessions() as session:
        report = await erase_personal_data(session=session, channel="zalo", sender_id="zalo:77")
        await session.commit()
    assert report.outbox_messages == 1
    async with sessions() as session:
        left = {row.text for row in await session.scalars(select(OutboxMessage))}
    assert left == {"người khác", "tg"}
