"""Staff buttons and replies in the office groups (thin: services.handling does the work).

Buttons carry "st:<op>:<code>[:<office>]" (laikhe.payloads). Answers and rejection
reasons are asked for with a ForceReply prompt whose first line names the operation and
the ticket, so the reply is understood without any state kept in the bot (it survives a
restart).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import filters

from bot.context import BotContext
from bot.conversation import split_text
from bot.sender import DeliveryFailed, Markup, send_text
from db.session import unit_of_work
from laikhe.payloads import (
    ANSWER,
    CLOSE,
    FORWARD,
    FORWARD_TO,
    OUTSIDE,
    REJECT,
    STAFF_PREFIX,
    TAKE,
    VIEW,
    parse_staff_callback,
    staff_callback,
)
from services import handling, lifecycle
from services.handling import ActionResult, StaffActionError
from services.ticket_queries import forward_targets, render_history, ticket_history
from services.tickets import TicketPolicy, parse_ticket_code

logger = logging.getLogger(__name__)

STAFF_BUTTON_PATTERN: Final = rf"^{STAFF_PREFIX}:"
PROMPT_MARK: Final = "✍️"
ANSWER_PROMPT: Final = PROMPT_MARK + " Trả lời ý kiến {code}"
REJECT_PROMPT: Final = PROMPT_MARK + " Lý do từ chối ý kiến {code}"
_PROMPT_RE: Final = re.compile(rf"^{PROMPT_MARK} (Trả lời|Lý do từ chối) ý kiến (\S+)")
FAILED: Final = (
    "Xin lỗi, chưa thực hiện được do lỗi hệ thống. Anh/Chị vui lòng thử lại sau ít phút."
)
UNKNOWN_BUTTON: Final = "Nút này không còn hiệu lực."
ANSWER_USAGE: Final = "Cú pháp: /traloi <mã ý kiến> [nội dung trả lời]"
REJECT_USAGE: Final = "Cú pháp: /tuchoi <mã ý kiến> [lý do]"
VIEW_USAGE: Final = "Cú pháp: /xem <mã ý kiến>"
DUPLICATE_USAGE: Final = "Cú pháp: /trung <mã ý kiến trùng> <mã ý kiến gốc>"
OPEN_PRIVATE_CHAT: Final = (
    "Anh/Chị mở chat riêng với trợ lý, bấm Start, rồi bấm lại nút này để đọc nội dung."
)
OPEN_PRIVATE_CHAT_TO_ANSWER: Final = (
    "Ý kiến {code} được bảo mật nên được trả lời trong chat riêng. Anh/Chị mở chat riêng "
    "với trợ lý, bấm Start, rồi bấm lại nút."
)
PROMPT_SENT_PRIVATELY: Final = "Trợ lý đã nhắn riêng cho Anh/Chị để trả lời ý kiến bảo mật."


Action = Callable[[AsyncSession], Awaitable[ActionResult]]


async def _run(context: BotContext, action: Action) -> ActionResult | str:
    """Run one staff action in its own transaction; a refusal comes back as text."""
    try:
        async with unit_of_work(context.staff.sessions) as session:
            result = await action(session)
    except StaffActionError as error:
        return error.message
    except Exception:
        logger.exception("staff action failed")
        return FAILED
    context.bot_data.wake_dispatcher()  # the resident's message was just committed
    return result


async def _check(context: BotContext, user_id: int, code: str, action: str) -> str | bool:
    """The refusal to show, or (when the user may act on the ticket now) whether the
    ticket is confidential."""
    try:
        async with unit_of_work(context.staff.sessions) as session:
            ticket = await handling.check_can_act(
                session=session, telegram_user_id=user_id, code=code, action=action
            )
            if ticket.state not in lifecycle.OPEN:
                return f"Ý kiến {ticket.code} đã được xử lý xong, không {action} được nữa."
            return bool(ticket.confidential)
    except StaffActionError as error:
        return error.message


async def _mark_card(message: Message, result: ActionResult) -> None:
    """Add the outcome to the group card, so the group sees who did what."""
    if not message.text:
        return
    final = result.state in lifecycle.FINAL
    try:
        await message.edit_text(
            f"{message.text}\n➜ {result.summary}",
            reply_markup=None if final else message.reply_markup,
        )
    except TelegramError as error:
        logger.info("could not update the card %s: %s", message.message_id, error)


async def on_staff_button(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    button = parse_staff_callback(query.data)
    if button is None:
        await query.answer(UNKNOWN_BUTTON, show_alert=True)
        return
    op, code, extra = button.op, button.code, button.extra
    message = query.message if isinstance(query.message, Message) else None
    commune = context.staff.commune
    result: ActionResult | str
    if op == TAKE:
        result = await _run(
            context,
            lambda s: handling.take(session=s, telegram_user_id=user.id, code=code),
        )
    elif op == CLOSE:
        result = await _run(
            context,
            lambda s: handling.close(session=s, telegram_user_id=user.id, code=code),
        )
    elif op == FORWARD_TO and extra:
        target = None if extra[0] == OUTSIDE else extra[0]
        policy = TicketPolicy.from_config(commune)
        result = await _run(
            context,
            lambda s: handling.forward(
                session=s, policy=policy, telegram_user_id=user.id, code=code, office_code=target
            ),
        )
    elif op in (ANSWER, REJECT, FORWARD, VIEW):
        doing = {ANSWER: "trả lời", REJECT: "từ chối", FORWARD: "chuyển", VIEW: "xem"}[op]
        checked = await _check(context, user.id, code, doing) if op != VIEW else False
        if isinstance(checked, str):
            await query.answer(checked, show_alert=True)
            return
        if message is None:
            await query.answer()
            return
        if op in (ANSWER, REJECT) and checked and message.chat.type != ChatType.PRIVATE:
            sent = await _ask_privately(context, message, user.id, code, op)
            await query.answer(PROMPT_SENT_PRIVATELY if sent else None)
            return
        await query.answer()
        if op == VIEW:
            await _send_private_view(update, context, code)
        elif op == FORWARD:
            await _ask_forward_target(context, message, code)
        else:
            await _ask_for_text(message, code, op)
        return
    else:
        await query.answer(UNKNOWN_BUTTON, show_alert=True)
        return
    if isinstance(result, str):
        await query.answer(result, show_alert=True)
        return
    await query.answer(result.summary)
    if message is not None:
        if op == FORWARD_TO:
            # The forward menu is a separate message: drop it, then mark the card.
            try:
                await message.edit_text(f"Ý kiến {result.code}: {result.summary}")
            except TelegramError as error:
                logger.info("could not update the forward menu: %s", error)
        else:
            await _mark_card(message, result)


def _prompt(code: str, op: str) -> tuple[str, ForceReply]:
    prompt = ANSWER_PROMPT if op == ANSWER else REJECT_PROMPT
    hint = (
        "Anh/Chị trả lời (reply) tin nhắn này bằng nội dung gửi người dân; tin được ghi là "
        "trả lời của đơn vị."
        if op == ANSWER
        else "Anh/Chị trả lời (reply) tin nhắn này bằng lý do; người gửi sẽ nhận được lý do."
    )
    return f"{prompt.format(code=code)}\n{hint}", ForceReply(
        input_field_placeholder="Nội dung trả lời" if op == ANSWER else "Lý do từ chối"
    )


async def _reply(message: Message, text: str, reply_markup: Markup | None = None) -> None:
    await send_text(message.get_bot(), message.chat_id, text, reply_markup=reply_markup)


async def _ask_for_text(message: Message, code: str, op: str) -> None:
    text, markup = _prompt(code, op)
    await _reply(message, text, reply_markup=markup)


async def _ask_privately(
    context: BotContext, message: Message, user_id: int, code: str, op: str
) -> bool:
    """The prompt for a confidential ticket goes to the cleared staff member's private chat:
    an answer typed in the group would be read by the whole group. False if not sent."""
    text, markup = _prompt(code, op)
    try:
        await send_text(context.bot, user_id, text, reply_markup=markup)
    except DeliveryFailed:
        # Never started a private chat with the bot (or blocked it): say so in the group,
        # with the code only.
        await _reply(message, OPEN_PRIVATE_CHAT_TO_ANSWER.format(code=code))
        return False
    return True


async def _ask_forward_target(context: BotContext, message: Message, code: str) -> None:
    async with unit_of_work(context.staff.sessions) as session:
        offices = await forward_targets(session=session, code=code)
    rows = [
        [InlineKeyboardButton(name, callback_data=staff_callback(FORWARD_TO, code, office))]
        for office, name in offices
    ]
    rows.append(
        [
            InlineKeyboardButton(
                "Ngoài thẩm quyền của xã", callback_data=staff_callback(FORWARD_TO, code, OUTSIDE)
            )
        ]
    )
    await _reply(
        message, f"Chuyển ý kiến {code} đến đơn vị nào?", reply_markup=InlineKeyboardMarkup(rows)
    )


async def _send_private_view(update: Update, context: BotContext, code: str) -> None:
    user = update.effective_user
    if user is None:
        return
    text = await _view_text(context, user.id, code)
    try:
        await _send_long(context, user.id, text)
    except DeliveryFailed:
        if update.effective_chat is not None:
            await send_text(context.bot, update.effective_chat.id, OPEN_PRIVATE_CHAT)


async def _view_text(context: BotContext, user_id: int, code: str) -> str:
    try:
        async with unit_of_work(context.staff.sessions) as session:
            await handling.check_can_act(
                session=session, telegram_user_id=user_id, code=code, action="view"
            )
            history = await ticket_history(session=session, code=code)
    except StaffActionError as error:
        return error.message
    if history is None:
        return f"Không tìm thấy ý kiến có mã {code}."
    return render_history(history)


class _PromptReply(filters.MessageFilter):
    """A text reply to one of OUR answer / reason prompts: another bot in the group (or a
    copy of our text) could post a look-alike prompt and have staff answer through it."""

    def filter(self, message: Message) -> bool:
        prompt = message.reply_to_message
        if not (
            message.text
            and prompt is not None
            and prompt.from_user is not None
            and prompt.text
            and _PROMPT_RE.match(prompt.text)
        ):
            return False
        try:
            ours = message.get_bot().id
        except RuntimeError:  # no bot attached: not an update we received
            return False
        return prompt.from_user.id == ours


PROMPT_REPLY: Final = _PromptReply()


async def on_prompt_reply(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.reply_to_message is None:
        return
    match = _PROMPT_RE.match(message.reply_to_message.text or "")
    if match is None:
        return
    kind, code = match.groups()
    await _answer_or_reject(context, message, user.id, code, message.text or "", kind == "Trả lời")


async def _answer_or_reject(
    context: BotContext,
    message: Message,
    user_id: int,
    code: str,
    text: str,
    is_answer: bool,
) -> None:
    if is_answer:
        result = await _run(
            context,
            lambda s: handling.answer(session=s, telegram_user_id=user_id, code=code, text=text),
        )
    else:
        result = await _run(
            context,
            lambda s: handling.reject(session=s, telegram_user_id=user_id, code=code, reason=text),
        )
    if isinstance(result, str):
        await _reply(message, result)
        return
    await _reply(message, f"Ý kiến {result.code}: {result.summary}")


def _code_and_text(args: list[str]) -> tuple[str | None, str]:
    if not args:
        return None, ""
    return parse_ticket_code(args[0]), " ".join(args[1:])


async def on_answer_command(update: Update, context: BotContext) -> None:
    await _text_command(update, context, is_answer=True)


async def on_reject_command(update: Update, context: BotContext) -> None:
    await _text_command(update, context, is_answer=False)


async def _text_command(update: Update, context: BotContext, *, is_answer: bool) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    code, text = _code_and_text(list(context.args or []))
    if code is None:
        await _reply(message, ANSWER_USAGE if is_answer else REJECT_USAGE)
        return
    if not text.strip():
        # "/traloi LK-2026-000001" alone: ask for the text with a prompt, here (a private
        # chat works the same as the group), privately for a confidential ticket.
        doing = "trả lời" if is_answer else "từ chối"
        checked = await _check(context, user.id, code, doing)
        if isinstance(checked, str):
            await _reply(message, checked)
            return
        op = ANSWER if is_answer else REJECT
        if checked and message.chat.type != ChatType.PRIVATE:
            if await _ask_privately(context, message, user.id, code, op):
                await _reply(message, PROMPT_SENT_PRIVATELY)
            return
        await _ask_for_text(message, code, op)
        return
    await _answer_or_reject(context, message, user.id, code, text, is_answer)


async def on_duplicate_command(update: Update, context: BotContext) -> None:
    """/trung <code> <original>: the ticket repeats an earlier open one."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = list(context.args or [])
    code = parse_ticket_code(args[0]) if args else None
    original = parse_ticket_code(args[1]) if len(args) == 2 else None
    if code is None or original is None:
        await _reply(message, DUPLICATE_USAGE)
        return
    result = await _run(
        context,
        lambda s: handling.mark_duplicate(
            session=s, telegram_user_id=user.id, code=code, original_code=original
        ),
    )
    await _reply(message, result if isinstance(result, str) else f"Ý kiến {code}: {result.summary}")


async def on_view_command(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    code, _ = _code_and_text(list(context.args or []))
    if code is None:
        await _reply(message, VIEW_USAGE)
        return
    if chat.type != ChatType.PRIVATE:
        # Details (and contacts) only in a private chat, never in a group.
        await _reply(message, f"Anh/Chị nhắn riêng cho trợ lý «/xem {code}» để xem chi tiết.")
        return
    await _send_long(context, chat.id, await _view_text(context, user.id, code))


async def _send_long(context: BotContext, chat_id: int, text: str) -> None:
    """A ticket's history can pass Telegram's 4,096 characters: several messages, cut at
    line ends."""
    for chunk in split_text(text):
        await send_text(context.bot, chat_id, chunk)
