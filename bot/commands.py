"""The commands Telegram shows in its «/» menu, per chat scope: residents' in private chats,
staff's in groups (office groups and the leaders' chat), so staff can find them.

The names here are the ones bot/telegram_app.py registers handlers for (one list each).
"""

from __future__ import annotations

import logging
from typing import Final

from telegram import Bot, BotCommand, BotCommandScope
from telegram import BotCommandScopeAllGroupChats as AllGroupChats
from telegram import BotCommandScopeAllPrivateChats as AllPrivateChats
from telegram.error import TelegramError

logger = logging.getLogger(__name__)

START: Final = BotCommand("start", "Bắt đầu trò chuyện với trợ lý")
MENU: Final = BotCommand("menu", "Xem các mục hỗ trợ")
HELP: Final = BotCommand("help", "Hướng dẫn sử dụng")
ANSWER: Final = BotCommand("traloi", "Trả lời ý kiến: /traloi <mã> [nội dung]")
REJECT: Final = BotCommand("tuchoi", "Từ chối ý kiến: /tuchoi <mã> [lý do]")
VIEW: Final = BotCommand("xem", "Xem chi tiết ý kiến (nhắn riêng cho trợ lý)")
REPORT: Final = BotCommand("baocao", "Lập báo cáo ý kiến theo kỳ")

RESIDENT_COMMANDS: Final = (START, MENU, HELP)
STAFF_COMMANDS: Final = (ANSWER, REJECT, VIEW, REPORT)
MENUS: Final[tuple[tuple[BotCommandScope, tuple[BotCommand, ...]], ...]] = (
    (AllPrivateChats(), RESIDENT_COMMANDS),
    (AllGroupChats(), STAFF_COMMANDS),
)


async def publish_commands(bot: Bot) -> None:
    """Set each scope's menu (at every start: the lists may have changed). A failure is
    logged, not fatal: the commands work without the menu."""
    for scope, commands in MENUS:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramError as error:
            logger.warning("could not set the %s command menu: %s", scope.type, error)
