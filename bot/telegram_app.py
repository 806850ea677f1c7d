"""Telegram front end (python-telegram-bot 22): thin handlers over the conversation core."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    JobQueue,
    MessageHandler,
    filters,
)

from bot.commands import (
    ANSWER,
    DUPLICATE,
    HELP,
    MENU,
    REJECT,
    REPORT,
    SIGN_IN,
    START,
    VIEW,
    publish_commands,
    publish_staff_commands,
)
from bot.context import CONTEXT_TYPES, BotApplication, BotContext, StaffContext
from bot.conversation import ONLY_TEXT, Conversation, Reply, photo_payload, split_text
from bot.daily_jobs import schedule_daily_work
from bot.outbox_dispatcher import DispatchSettings, OutboxDispatcher
from bot.sender import DeliveryFailed, Outgoing, send_text, sender_for
from bot.staff_handling import (
    PROMPT_REPLY,
    STAFF_BUTTON_PATTERN,
    on_answer_command,
    on_duplicate_command,
    on_prompt_reply,
    on_reject_command,
    on_staff_button,
    on_view_command,
)
from bot.staff_reports import on_report_request
from bot.update_processor import PerChatUpdateProcessor
from bot.web_sign_in import on_sign_in_command
from db.session import unit_of_work
from laikhe import clock
from laikhe.payloads import fits_a_button
from laikhe.settings import Settings
from services.chat_migration import follow_chat_migration

logger = logging.getLogger(__name__)

BUTTON_EXPIRED = "Nút này đã hết hiệu lực."
NOT_OUR_BUTTON = "Nút này không hợp lệ. Anh/Chị gõ «hướng dẫn» để xem các mục."
SOMETHING_WENT_WRONG = (
    "Xin lỗi Anh/Chị, đã có lỗi khi xử lý tin nhắn. Anh/Chị vui lòng thử lại sau ít phút."
)


def keyboard_for(reply: Reply) -> InlineKeyboardMarkup | None:
    buttons = [
        InlineKeyboardButton(button.title, callback_data=button.payload)
        for button in reply.buttons
        if fits_a_button(button.payload)
    ]
    if not buttons:
        return None
    # Short titles two to a row, long ones alone: readable on a phone screen.
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        if rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= 14 and len(button.text) <= 14:
            rows[-1].append(button)
        else:
            rows.append([button])
    return InlineKeyboardMarkup(rows)


async def send_replies(message: Message, replies: list[Reply]) -> None:
    """Through the one sending path (bot.sender): each message retried while Telegram
    says it was not delivered (429, 5xx, no connection), one after the other."""
    sender = sender_for(message.get_bot())
    for reply in replies:
        chunks = split_text(reply.text)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            markup = keyboard_for(reply) if last else None
            await sender.deliver(Outgoing(message.chat_id, chunk, reply_markup=markup))


async def on_start(update: Update, context: BotContext) -> None:
    if update.effective_message is None or update.effective_chat is None:
        return
    chat_id = str(update.effective_chat.id)
    replies = await context.conversation.handle_payload(chat_id, "/greet")
    await send_replies(update.effective_message, replies)
    await context.conversation.finish_turn(chat_id)


async def on_help(update: Update, context: BotContext) -> None:
    if update.effective_message is None or update.effective_chat is None:
        return
    chat_id = str(update.effective_chat.id)
    replies = await context.conversation.handle_payload(chat_id, "/help")
    await send_replies(update.effective_message, replies)
    await context.conversation.finish_turn(chat_id)


async def on_text(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return
    chat_id = str(update.effective_chat.id)
    replies = await context.conversation.handle_text(chat_id, message.text)
    await send_replies(message, replies)
    await context.conversation.finish_turn(chat_id)


async def on_photo(update: Update, context: BotContext) -> None:
    """A photo goes to the conversation by its Telegram file id (the largest size); the
    bytes are never downloaded, so no copy of a resident's photo sits on our disks."""
    message = update.effective_message
    if message is None or not message.photo:
        return
    payload = photo_payload(message.photo[-1].file_id)
    if payload is None:
        await send_text(message.get_bot(), message.chat_id, ONLY_TEXT)
        return
    replies = await context.conversation.handle_payload(str(message.chat_id), payload)
    await send_replies(message, replies)


async def on_other_message(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is not None:
        await send_text(message.get_bot(), message.chat_id, ONLY_TEXT)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    message = query.message
    if not isinstance(message, Message) or not query.data:
        await _acknowledge(query, None)
        if update.effective_chat is not None:
            await send_text(context.bot, update.effective_chat.id, BUTTON_EXPIRED)
        return
    chat_id = str(message.chat_id)
    # The acknowledgement (two Bot API calls) runs while the engine works on the
    # choice: the resident's answer does not wait for both round trips in turn.
    _, replies = await asyncio.gather(
        _acknowledge(query, message),
        context.conversation.handle_payload(chat_id, query.data),
    )
    await send_replies(message, replies)
    # Delivered: now the stored conversation may be erased, if the resident asked.
    await context.conversation.finish_turn(chat_id)


def button_data(message: Message) -> set[str]:
    """The callback data of the inline buttons a message carries."""
    markup = message.reply_markup
    return {
        button.callback_data
        for row in (markup.inline_keyboard if markup else ())
        for button in row
        if isinstance(button.callback_data, str)
    }


async def refuse_forged_button(update: Update, context: BotContext) -> None:
    """Runs before every other callback handler (resident and staff alike). A client can
    send any callback data for a message; only the buttons we put on it are choices,
    anything else would be a forged intent payload or staff operation: refused here, so
    nothing reaches the engine or the staff services."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return  # an inaccessible message: the handlers below refuse or authorise as before
    if query.data in button_data(query.message):
        return
    logger.warning("refused a callback whose data is not a button of its message")
    try:
        await query.answer(NOT_OUR_BUTTON, show_alert=True)
    except TelegramError as error:
        logger.info("could not answer a refused button: %s", error)
    raise ApplicationHandlerStop


async def _acknowledge(query: CallbackQuery, message: Message | None) -> None:
    """Stop the button's spinner, show what was chosen and remove the keyboard, so an
    old button is not pressed twice. A failure here is logged; the turn goes on."""
    try:
        await query.answer()
        if message is None:
            return
        chosen = next(
            (
                button.text
                for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
                for button in row
                if button.callback_data == query.data
            ),
            None,
        )
        if chosen is not None and message.text:
            await query.edit_message_text(f"{message.text}\n\n➜ {chosen}")
        else:
            await query.edit_message_reply_markup(None)
    except TelegramError as error:
        logger.info("could not acknowledge a button: %s", error)


EDITS_NOT_READ = (
    "Tôi không đọc tin nhắn đã sửa. Anh/Chị gửi nội dung cần sửa trong một tin nhắn mới."
)


async def on_edited_message(update: Update, context: BotContext) -> None:
    """An edit is not a new turn: handled as one it would answer twice, and for a form
    step or a staff answer act on a message the conversation has already moved past.
    The sender is told once per edit in a private chat, or when the edit is a staff reply
    to one of our prompts; other group edits are left alone (the bot does not read group
    chatter)."""
    message = update.edited_message
    if message is None:
        return
    if message.chat.type == ChatType.PRIVATE or PROMPT_REPLY.check_update(update):
        try:
            await send_text(message.get_bot(), message.chat_id, EDITS_NOT_READ)
        except (DeliveryFailed, TelegramError) as error:
            logger.info("could not answer an edit: %s", error)


async def on_chat_migrated(update: Update, context: BotContext) -> None:
    """A group upgraded to a supergroup: its office follows it to the new chat id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    staff = context.staff
    async with unit_of_work(staff.sessions) as session:
        moved = await follow_chat_migration(session=session, old_chat_id=old, new_chat_id=new)
    if moved:
        # Group ids, not people: the operator needs them to update config/commune.yml, or
        # `make load-config` would put the old id back.
        logger.warning(
            "group %s became supergroup %s: offices %s now use it; set their staff_chat_id "
            "in config/commune.yml",
            old, new, ",".join(moved),
        )  # fmt: skip
    if staff.commune.commune.leaders_chat_id == old:
        logger.warning(
            "the leaders' group %s became supergroup %s: set commune.leaders_chat_id in "
            "config/commune.yml and restart the bot",
            old, new,
        )  # fmt: skip


async def on_error(update: object, context: BotContext) -> None:
    logger.error("handler failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await send_text(context.bot, update.effective_chat.id, SOMETHING_WENT_WRONG)
        except (DeliveryFailed, TelegramError):
            logger.warning("could not tell a chat about the failure")


def _lifecycle_hooks(
    settings: Settings, staff: StaffContext, dispatch: DispatchSettings
) -> tuple[
    Callable[[BotApplication], Coroutine[Any, Any, None]],
    Callable[[BotApplication], Coroutine[Any, Any, None]],
]:
    async def start(application: BotApplication) -> None:
        await publish_commands(application.bot)
        await publish_staff_commands(application.bot, staff.sessions)
        if application.job_queue is None:  # python-telegram-bot without [job-queue]
            raise RuntimeError("the digest and the retention purge need the JobQueue")
        schedule_daily_work(
            application.job_queue, staff, settings.tracker_store_url, clock.commune_zone()
        )
        dispatcher = OutboxDispatcher(
            staff.sessions,
            sender_for(application.bot),  # the replies' Sender: one order per chat
            dispatch,
            leaders_chat_id=staff.commune.commune.leaders_chat_id,
        )
        application.bot_data.dispatcher = dispatcher
        dispatcher.start()

    async def stop(application: BotApplication) -> None:
        # post_stop, not post_shutdown: the bot's HTTP client must still be open so the
        # message in flight is finished and settled rather than left "sending".
        dispatcher, application.bot_data.dispatcher = application.bot_data.dispatcher, None
        if dispatcher is not None:
            await dispatcher.stop()

    return start, stop


def build_application(
    settings: Settings,
    conversation: Conversation,
    staff: StaffContext,
    dispatch: DispatchSettings | None = None,
) -> BotApplication:
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    start, stop = _lifecycle_hooks(settings, staff, dispatch or DispatchSettings())
    application = (
        ApplicationBuilder()
        .context_types(CONTEXT_TYPES)
        # The default JobQueue, typed with our context for the daily jobs.
        .job_queue(JobQueue[BotContext]())
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .post_init(start)
        .post_stop(stop)
        .concurrent_updates(PerChatUpdateProcessor())
        .build()
    )
    application.bot_data.conversation = conversation
    application.bot_data.staff = staff
    private = filters.ChatType.PRIVATE
    # Before everything else: an edit is never a new turn (nor a command run again), and
    # a group's upgrade to a supergroup is followed before its first new message.
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, on_edited_message))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_chat_migrated))
    # Staff handlers first: their buttons and replies must never reach the resident
    # conversation, whose catch-all handlers come below.
    application.add_handler(CallbackQueryHandler(refuse_forged_button), group=-1)
    application.add_handler(CallbackQueryHandler(on_staff_button, pattern=STAFF_BUTTON_PATTERN))
    application.add_handler(MessageHandler(PROMPT_REPLY & ~filters.COMMAND, on_prompt_reply))
    # The command names are those of the «/» menus (bot.commands), so menu and handlers
    # cannot drift apart.
    application.add_handler(CommandHandler(ANSWER.command, on_answer_command))
    application.add_handler(CommandHandler(REJECT.command, on_reject_command))
    application.add_handler(CommandHandler(VIEW.command, on_view_command))
    application.add_handler(CommandHandler(DUPLICATE.command, on_duplicate_command))
    application.add_handler(CommandHandler(REPORT.command, on_report_request))
    application.add_handler(CommandHandler(SIGN_IN.command, on_sign_in_command))
    application.add_handler(
        CommandHandler([START.command, MENU.command], on_start, filters=private)
    )
    application.add_handler(CommandHandler(HELP.command, on_help, filters=private))
    application.add_handler(MessageHandler(private & filters.TEXT, on_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(private & filters.PHOTO, on_photo))
    application.add_handler(MessageHandler(private & ~filters.TEXT, on_other_message))
    application.add_error_handler(on_error)
    return application
