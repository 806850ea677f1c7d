"""A local fake of the Telegram Bot API for end-to-end tests of the bot.

See :mod:`tests.fake_telegram.server` for the behaviour it emulates and the test-side API.
"""

from tests.fake_telegram.server import (
    TINY_PNG,
    CallbackAnswer,
    EntityParseError,
    FakeTelegramServer,
    MessageVersion,
    RequestRecord,
    SentMessage,
    WebhookDelivery,
    make_png,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
)

__all__ = [
    "TINY_PNG",
    "CallbackAnswer",
    "EntityParseError",
    "FakeTelegramServer",
    "MessageVersion",
    "RequestRecord",
    "SentMessage",
    "WebhookDelivery",
    "make_png",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]
