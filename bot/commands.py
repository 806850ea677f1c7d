"""The commands Telegram shows in its «/» menu, per chat scope: residents' in private chats,
staff's in groups (office groups and the leaders' chat), so staff can find them, and both
in each registered staff member's own private chat, where the staff commands work too.

The names here are the ones bot/telegram_app.py registers handlers for (one list each).
"""

from __future__ import annotations

import logging
from typing import Final

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, BotCommand, BotCommandScope, BotCommandScopeChat
from telegram import BotCommandScopeAllGroupChats as AllGroupChats
from telegram import BotCommandScopeAllPrivateChats as AllPrivateChats
from telegram.error import TelegramError

from db.session import unit_of_work
from laikhe.logsafe import pseudonym
from services.staff import StaffPrivateChats, staff_private_chats

logger = logging.getLogger(__name__)

START: Final = BotCommand("start", "Bắt đầu trò chuyện với trợ lý")
MENU: Final = BotCommand("menu", "Xem các mục hỗ trợ")
HELP: Final = BotCommand("help", "Hướng dẫn sử dụng")
ANSWER: Final = BotCommand("traloi", "Trả lời ý kiến: /traloi <mã> [nội dung]")
REJECT: Final = BotCommand("tuchoi", "Từ chối ý kiến: /tuchoi <mã> [lý do]")
DUPLICATE: Final = BotCommand("trung", "Đánh dấu ý kiến trùng: /trung <mã> <mã gốc>")
VIEW: Final = BotCommand("xem", "Xem chi tiết ý kiến (nhắn riêng cho trợ lý)")
REPORT: Final = BotCommand("baocao", "Lập báo cáo ý kiến theo kỳ")
SIGN_IN: Final = BotCommand("dangnhap", "Nhận đường dẫn đăng nhập trang quản lý (chat riêng)")

RESIDENT_COMMANDS: Final = (START, MENU, HELP)
STAFF_COMMANDS: Final = (ANSWER, REJECT, DUPLICATE, VIEW, REPORT, SIGN_IN)
MENUS: Final[tuple[tuple[BotCommandScope, tuple[BotCommand, ...]], ...]] = (
    (AllPrivateChats(), RESIDENT_COMMANDS),
    (AllGroupChats(), STAFF_COMMANDS),
)
# A chat's own menu replaces the all-private-chats one there, so it repeats the residents'
# commands. Every staff command is answered in a private chat: /traloi and /tuchoi as in
# the group, /xem only there, /baocao with the staff member's own office's report (the
# commune-wide one for leaders), /dangnhap only there (a group is told to ask privately).
STAFF_PRIVATE_COMMANDS: Final = RESIDENT_COMMANDS + STAFF_COMMANDS


async def publish_commands(bot: Bot) -> None:
    """Set each scope's menu (at every start: the lists may have changed). A failure is
    logged, not fatal: the commands work without the menu."""
    for scope, commands in MENUS:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramError as error:
            logger.warning("could not set the %s command menu: %s", scope.type, error)


async def publish_staff_commands(bot: Bot, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Give each registered staff member's private chat the staff menu, and take it back
    from removed staff (their chat falls back to the residents' menu). Read at start-up:
    staff added or removed with the CLI get the change at the bot's next start. A failure
    is logged, not fatal."""
    try:
        async with unit_of_work(sessions) as session:
            chats = await staff_private_chats(session=session)
    except SQLAlchemyError as error:
        logger.warning("could not read the staff for their command menus: %s", error)
        return
    await publish_staff_menus(bot, chats)


async def publish_staff_menus(bot: Bot, chats: StaffPrivateChats) -> None:
    """One Bot API call per staff member, active or removed. A refused call (say, a chat
    Telegram does not let the bot use yet) is logged; the next start tries again."""
    for chat_id in chats.active:
        try:
            await bot.set_my_commands(STAFF_PRIVATE_COMMANDS, scope=BotCommandScopeChat(chat_id))
        except TelegramError as error:
            logger.warning("could not set the staff menu of chat %s: %s", pseudonym(chat_id), error)
    for chat_id in chats.removed:
        try:
            await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
        except TelegramError as error:
            logger.warning(
                "could not remove the staff menu of chat %s: %s", pseudonym(chat_id), error
            )
