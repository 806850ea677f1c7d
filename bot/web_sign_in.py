"""`/dangnhap`: a registered staff member asks, in their private chat with the bot, for a
one-time link to the web back office (services/web_sessions.py makes it)."""

from __future__ import annotations

from typing import Final

from telegram import Update
from telegram.constants import ChatType

from bot.context import BotContext
from bot.sender import send_text
from db.session import unit_of_work
from laikhe import clock
from services.web_sessions import LINK_LIFETIME, SignInRefused, create_sign_in_link

PRIVATE_ONLY: Final = (
    "Đường dẫn đăng nhập chỉ gửi trong chat riêng. Anh/Chị nhắn «/dangnhap» riêng cho trợ lý."
)
NO_BACK_OFFICE: Final = "Trang quản lý ý kiến chưa được mở cho xã."
LINK_TEXT: Final = (
    "Đường dẫn đăng nhập trang quản lý ý kiến (dùng một lần, trong {minutes} phút):\n"
    "{url}\n\n"
    "Anh/Chị không chuyển đường dẫn này cho người khác."
)


async def on_sign_in_command(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    if chat.type != ChatType.PRIVATE:
        # A link sent in a group would let every member sign in as this person.
        await send_text(context.bot, chat.id, PRIVATE_ONLY)
        return
    web_url = context.staff.web_url
    if web_url is None:
        await send_text(context.bot, chat.id, NO_BACK_OFFICE)
        return
    try:
        async with unit_of_work(context.staff.sessions) as session:
            token = await create_sign_in_link(
                session=session, telegram_user_id=user.id, now=clock.now()
            )
    except SignInRefused as refused:
        await send_text(context.bot, chat.id, refused.message)
        return
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    url = f"{web_url}/dang-nhap/{token}"
    await send_text(context.bot, chat.id, LINK_TEXT.format(minutes=minutes, url=url))
