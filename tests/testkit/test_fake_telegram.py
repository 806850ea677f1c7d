"""Proves the fake Bot API server against the real python-telegram-bot library.

Each test drives a genuine ``telegram.ext.Application`` or ``telegram.Bot`` pointed at the fake,
so the fake's wire format, status codes and semantics are checked by the same code that talks to
Telegram in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from telegram import Bot, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from testkit.telegram import FakeTelegramServer, make_png

TOKEN = "123:TEST"
CHAT = 42


@pytest.fixture
def fake() -> Iterator[FakeTelegramServer]:
    # Servers of other suites (the end-to-end session fixture) may be running; only this
    # test's own server must be gone afterwards.
    before = {t for t in threading.enumerate() if t.name == "FakeTelegramServer"}
    server = FakeTelegramServer(TOKEN).start()
    try:
        yield server
    finally:
        server.stop()
    # The fake must not leak its thread into later tests.
    assert not [
        t for t in threading.enumerate() if t.name == "FakeTelegramServer" and t not in before
    ]


def make_bot(fake: FakeTelegramServer) -> Bot:
    return Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("Welcome!")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Like", callback_data="like"),
                InlineKeyboardButton("Site", url="https://example.org"),
            ]
        ]
    )
    await message.reply_text(message.text, reply_markup=keyboard)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Thanks!")
    await query.edit_message_text(f"You pressed {query.data}")


def build_app(fake: FakeTelegramServer) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_button))
    return app


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------------------
# Through a polling Application
# ------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_polling_command_echo_keyboard_and_button(fake: FakeTelegramServer) -> None:
    async with polling(build_app(fake)):
        fake.send_command(CHAT, "/start", first_name="Lan")
        (welcome,) = await fake.wait_for_messages_async(CHAT, 1)
        assert welcome.text == "Welcome!"

        fake.send_text(CHAT, "xin chào")
        messages = await fake.wait_for_messages_async(CHAT, 2)
        echo = messages[1]
        assert echo.text == "xin chào"
        assert echo.buttons == [[("Like", "like"), ("Site", None)]]

        query_id = fake.press_button(CHAT, echo.message_id, "like")
        edited = await fake.wait_for_async(lambda: fake.message(CHAT, echo.message_id).edits)
        assert edited[-1].text == "You pressed like"
        # editMessageText without reply_markup drops the keyboard, as Telegram does.
        assert fake.message(CHAT, echo.message_id).buttons == []
        assert fake.message(CHAT, echo.message_id).versions[0].buttons == echo.buttons
        (answer,) = fake.callback_answers
        assert (answer.callback_query_id, answer.text, answer.data) == (query_id, "Thanks!", "like")
        assert [r.method for r in fake.requests("editMessageText")] == ["editMessageText"]

    # Bootstrapping removed any webhook, and stopping confirmed every update.
    assert fake.requests("deleteWebhook")
    assert fake.pending_updates() == []
    assert len(fake.messages(CHAT)) == 2


@pytest.mark.asyncio
async def test_message_listener_sees_each_new_bot_message_once(fake: FakeTelegramServer) -> None:
    seen: list[tuple[int, str | None, float]] = []
    remove = fake.on_bot_message(lambda m, at: seen.append((m.chat_id, m.text, at)))
    before = time.time()
    async with polling(build_app(fake)):
        fake.send_text(CHAT, "một")
        (echo,) = await fake.wait_for_messages_async(CHAT, 1)
        fake.press_button(CHAT, echo.message_id, "like")
        await fake.wait_for_async(lambda: fake.message(CHAT, echo.message_id).edits)
        remove()
        fake.send_text(CHAT, "hai")
        await fake.wait_for_messages_async(CHAT, 2)
    # The edit is not a new message, and nothing arrives after removal.
    assert [(chat, text) for chat, text, _ in seen] == [(CHAT, "một")]
    assert before <= seen[0][2] <= time.time()


@pytest.mark.asyncio
async def test_group_chat_messages_have_distinct_sender(fake: FakeTelegramServer) -> None:
    group = -1001234
    seen: list[tuple[int, int, str]] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat and update.effective_user and update.effective_message
        seen.append(
            (update.effective_chat.id, update.effective_user.id, update.effective_chat.type)
        )
        # The bot never quotes (replies are not emulated).
        await update.effective_message.reply_text("noted", do_quote=False)

    app = ApplicationBuilder().token(TOKEN).base_url(fake.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, record))
    async with polling(app):
        fake.send_text(group, "hello group", user_id=7, chat_type="supergroup")
        (reply,) = await fake.wait_for_messages_async(group, 1)
    assert seen == [(group, 7, "supergroup")]
    assert reply.text == "noted"
    assert reply.raw["chat"]["type"] == "supergroup"


@pytest.mark.asyncio
async def test_timeout_reports_the_conversation(fake: FakeTelegramServer) -> None:
    fake.send_text(CHAT, "anyone there?")
    with pytest.raises(AssertionError, match=r"(?s)got 0.*user 42: anyone there\?"):
        await fake.wait_for_messages_async(CHAT, 1, timeout=0.2)
    # Blocking waits inside a running loop would freeze the application under test.
    with pytest.raises(RuntimeError, match="wait_for_messages_async"):
        fake.wait_for_messages(CHAT, 1, timeout=0.1)


def test_sync_test_with_application_in_another_thread(fake: FakeTelegramServer) -> None:
    stop = threading.Event()

    async def run() -> None:
        async with polling(build_app(fake)):
            await asyncio.get_running_loop().run_in_executor(None, stop.wait, 5)

    thread = threading.Thread(target=asyncio.run, args=(run(),))
    thread.start()
    try:
        fake.send_command(CHAT, "start")
        (welcome,) = fake.wait_for_messages(CHAT, 1)
        assert welcome.text == "Welcome!"
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


# ------------------------------------------------------------------------------------------
# Validation, through the real Bot
# ------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_text_validation_matches_telegram(fake: FakeTelegramServer) -> None:
    async with make_bot(fake) as bot:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(CHAT, "x" * 4097)
        await bot.send_message(CHAT, "x" * 4096)
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(CHAT, "  ")
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(
                CHAT,
                "pick",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("long", callback_data="d" * 65)]]
                ),
            )
        # The bot sends plain text only; markup the fake does not parse is refused, loudly.
        with pytest.raises(BadRequest, match="Parse_mode is not implemented"):
            await bot.send_message(CHAT, "<b>bold</b>", parse_mode="HTML")
        ok = await bot.send_message(CHAT, "<b>bold</b> &amp; it")
    assert ok.text == "<b>bold</b> &amp; it"
    assert ok.entities == ()
    # Rejected sends are not stored, accepted ones are.
    assert [len(m.content) for m in fake.messages(CHAT)] == [4096, 20]
    # Failed sends show in the transcript a timeout prints.
    assert "BUTTON_DATA_INVALID" in fake.transcript(CHAT)


@pytest.mark.asyncio
async def test_edit_delete_and_callback_rules(fake: FakeTelegramServer) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    async with make_bot(fake) as bot:
        sent = await bot.send_message(CHAT, "hi", reply_markup=keyboard)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("hi", CHAT, sent.message_id, reply_markup=keyboard)
        await bot.edit_message_reply_markup(CHAT, sent.message_id)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("x", CHAT, 999)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(CHAT, 999)
        assert await bot.delete_message(CHAT, sent.message_id)

        second = await bot.send_message(CHAT, "again", reply_markup=keyboard)
        query_id = fake.press_button(CHAT, second.message_id, "a")
        assert await bot.answer_callback_query(query_id, text="ok")
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(query_id)
        with pytest.raises(AssertionError, match="no button"):
            fake.press_button(CHAT, second.message_id, "missing")

    first = fake.messages(CHAT)[0]
    assert first.deleted and [v.method for v in first.versions] == [
        "sendMessage",
        "editMessageReplyMarkup",
    ]
    assert len(fake.messages(CHAT, include_deleted=False)) == 1


@pytest.mark.asyncio
async def test_commands_and_unimplemented_methods(fake: FakeTelegramServer) -> None:
    scope = BotCommandScopeChat(CHAT)
    async with make_bot(fake) as bot:
        assert (await bot.get_me()).username == "test_bot"
        await bot.set_my_commands([("start", "Bắt đầu"), ("help", "Trợ giúp")])
        await bot.set_my_commands([("xem", "Xem ý kiến")], scope=scope)
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([("Start", "upper case is rejected")])
        await bot.delete_my_commands(scope=scope)
        # Methods the bot does not call fail instead of pretending to work.
        with pytest.raises(TelegramError):
            await bot.send_chat_action(CHAT, "typing")
    assert fake.my_commands() == [("start", "Bắt đầu"), ("help", "Trợ giúp")]
    assert fake.my_commands({"type": "chat", "chat_id": CHAT}) == []
    assert [r.status for r in fake.requests("setMyCommands")] == [200, 200, 400]
    assert fake.requests("sendChatAction")[0].status == 404


# ------------------------------------------------------------------------------------------
# Fault injection
# ------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_injected_failures_surface_as_ptb_errors(
    fake: FakeTelegramServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as a timedelta
    async with make_bot(fake) as bot:
        fake.fail_next("sendMessage", status=429, retry_after=3)
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(CHAT, "one")
        assert retry.value.retry_after == dtm.timedelta(seconds=3)

        fake.fail_next("SENDMESSAGE", status=500)
        with pytest.raises(NetworkError) as server_error:
            await bot.send_message(CHAT, "one")
        assert not isinstance(server_error.value, BadRequest | Forbidden)

        fake.drop_connection_next("sendMessage")
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT, "one")

        fake.set_blocked(CHAT)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(CHAT, "one")
        fake.set_blocked(CHAT, False)

        await bot.send_message(CHAT, "one")

        # A delayed call times out on the client but still takes effect on the server.
        fake.delay_next("sendMessage", seconds=0.5)
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "two", read_timeout=0.1)

    assert [m.text for m in await asyncio.to_thread(fake.wait_for_messages, CHAT, 2)] == [
        "one",
        "two",
    ]
    log = [(r.status, r.injected) for r in fake.requests("sendMessage")]
    assert log == [
        (429, "error"),
        (500, "error"),
        (0, "drop"),
        (403, None),
        (200, None),
        (200, "delay"),
    ]


@pytest.mark.asyncio
async def test_a_reset_after_the_call_took_effect_delivers_but_fails_on_the_client(
    fake: FakeTelegramServer,
) -> None:
    async with make_bot(fake) as bot:
        fake.drop_connection_after_next("sendMessage", chat_id=CHAT)
        with pytest.raises(NetworkError) as reset:
            await bot.send_message(CHAT, "delivered, answer lost")
        assert isinstance(reset.value.__cause__, httpx.RemoteProtocolError)
        await bot.send_message(CHAT, "next")
    assert [m.text for m in fake.messages(CHAT)] == ["delivered, answer lost", "next"]
    assert [(r.status, r.injected) for r in fake.requests("sendMessage")] == [
        (200, "accept_drop"),
        (200, None),
    ]


# ------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_photo_and_document_round_trip(fake: FakeTelegramServer) -> None:
    png = make_png(3, 2)
    async with make_bot(fake) as bot:
        sent = await bot.send_photo(CHAT, photo=png, caption="ảnh")
        assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
        assert sent.caption == "ảnh"
        # Re-sending by file_id needs no upload.
        again = await bot.send_photo(CHAT, photo=sent.photo[-1].file_id)
        assert again.photo[-1].file_id == sent.photo[-1].file_id

        doc = await bot.send_document(CHAT, document=b"a;b\n1;2\n", filename="report.csv")
        assert doc.document is not None and doc.document.file_name == "report.csv"
        assert fake.file_bytes(doc.document.file_id) == b"a;b\n1;2\n"

        with pytest.raises(BadRequest, match="Image_process_failed"):
            await bot.send_photo(CHAT, photo=b"not an image")
        with pytest.raises(BadRequest, match="Wrong file identifier"):
            await bot.send_photo(CHAT, photo="no-such-file-id")

        # A photo a resident sent can be sent on by the bot (to the office group).
        user_png = make_png(5, 5, (0, 128, 0))
        update = fake.send_photo(CHAT, caption="ổ gà", data=user_png)
        file_id = update["message"]["photo"][-1]["file_id"]
        forwarded = await bot.send_photo(-100777, photo=file_id, caption="ổ gà")
        assert forwarded.photo[-1].file_id == file_id
        with pytest.raises(BadRequest, match=r"(?i)can't use file of type photo as document"):
            await bot.send_document(CHAT, document=file_id)

    stored = fake.messages(CHAT)[0]
    assert stored.file_id is not None and fake.file_bytes(stored.file_id) == png
    assert fake.file_bytes(file_id) == user_png
    uploads = fake.requests("sendPhoto")[0].params["photo"]
    assert uploads["size"] == len(png)


@pytest.mark.asyncio
async def test_get_file_and_download_as_a_client_library_does(fake: FakeTelegramServer) -> None:
    user_png = make_png(4, 4, (200, 0, 0))
    file_id = fake.send_photo(CHAT, data=user_png)["message"]["photo"][-1]["file_id"]
    async with make_bot(fake) as bot:
        found = await bot.get_file(file_id)
        assert found.file_size == len(user_png)
        assert bytes(await found.download_as_bytearray()) == user_png
        with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
            await bot.get_file("no-such-file-id")
    [download] = fake.requests("downloadFile")
    assert download.ok and download.params["file_path"] == f"photos/{file_id}"
    # Telegram's file server answers 404 to another token or a path it never gave.
    async with httpx.AsyncClient() as client:
        for url in (
            f"{fake.base_file_url}999:OTHER/photos/{file_id}",
            f"{fake.base_file_url}{TOKEN}/documents/{file_id}",
            f"{fake.base_file_url}{TOKEN}/photos/unknown",
        ):
            assert (await client.get(url)).status_code == 404, url


# ------------------------------------------------------------------------------------------
# Webhook mode
# ------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_webhook_mode_delivers_with_secret_and_retries(fake: FakeTelegramServer) -> None:
    port = free_port()
    hook_url = f"http://127.0.0.1:{port}/hook"
    app = build_app(fake)
    async with app:
        # Before the application listens, deliveries fail and are retried, not lost.
        await app.bot.set_webhook(hook_url, secret_token="s3cret")
        fake.send_command(CHAT, "/start")
        await fake.wait_for_async(fake.webhook_deliveries)
        assert not fake.webhook_deliveries()[0].ok
        with pytest.raises(Conflict):
            await app.bot.get_updates()

        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            secret_token="s3cret",
            webhook_url=hook_url,
        )
        try:
            (welcome,) = await fake.wait_for_messages_async(CHAT, 1)
            assert welcome.text == "Welcome!"
            fake.send_text(CHAT, "second")
            await fake.wait_for_messages_async(CHAT, 2)
        finally:
            await app.updater.stop()
            await app.stop()

    set_calls = fake.requests("setWebhook")
    assert set_calls[-1].params["url"] == hook_url
    assert set_calls[-1].params["secret_token"] == "s3cret"
    assert fake.webhook_info["url"] == hook_url
    assert fake.webhook_deliveries()[-1].ok
    assert fake.pending_updates() == []


# ------------------------------------------------------------------------------------------
# Raw protocol
# ------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_raw_protocol_long_polling_and_encodings(fake: FakeTelegramServer) -> None:
    api = f"{fake.base_url}{TOKEN}"
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.get(f"{api}/GETME")).json()["result"]["id"] == 123
        assert (await client.get(f"{fake.base_url}999:WRONG/getMe")).status_code == 401
        unknown = await client.post(f"{api}/sendPoll", json={"chat_id": 1})
        assert unknown.status_code == 404 and unknown.json()["ok"] is False

        assert (await client.post(f"{api}/getUpdates", json={"timeout": 0})).json()["result"] == []

        # A long poll returns as soon as an update is queued from another thread.
        threading.Timer(0.2, fake.send_text, args=(CHAT, "wake up")).start()
        started = time.monotonic()
        response = await client.post(f"{api}/getUpdates", data={"timeout": "5"})
        assert time.monotonic() - started < 2
        (update,) = response.json()["result"]
        assert update["message"]["text"] == "wake up"

        # Unconfirmed updates are returned again; a higher offset confirms them.
        again = await client.get(f"{api}/getUpdates", params={"timeout": "0"})
        assert again.json()["result"][0]["update_id"] == update["update_id"]
        confirm = {"offset": update["update_id"] + 1, "timeout": 0}
        assert (await client.post(f"{api}/getUpdates", json=confirm)).json()["result"] == []

        # allowed_updates filters out other update types.
        fake.send_text(CHAT, "ignored")
        only_callbacks = {"timeout": 0, "allowed_updates": json.dumps(["callback_query"])}
        filtered = await client.post(f"{api}/getUpdates", data=only_callbacks)
        assert filtered.json()["result"] == []

        form = await client.post(f"{api}/sendMessage", data={"chat_id": "7", "text": "form"})
        query = await client.get(f"{api}/sendmessage", params={"chat_id": 7, "text": "query"})
        assert form.json()["result"]["chat"]["id"] == query.json()["result"]["chat"]["id"] == 7
    assert [m.message_id for m in fake.messages(7)] == [1, 2]
    assert fake.requests("sendMessage")[0].params == {"chat_id": 7, "text": "form"}
