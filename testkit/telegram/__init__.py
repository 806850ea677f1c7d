"""A fake Telegram Bot API server for end-to-end tests and the benchmark.

The real Bot API is reached by python-telegram-bot (PTB) through plain HTTP, so the most faithful
test double is an HTTP server speaking the same protocol: the bot under test runs unmodified,
with only ``ApplicationBuilder().base_url(...)`` / ``.base_file_url(...)`` pointed here. The
server runs in its own thread with its own asyncio loop so that it can be driven from
synchronous tests and from asynchronous tests (whose loop also runs the application) alike.

It emulates what this bot uses, and only that (``bot/`` is the reference):

* the response envelope and HTTP status codes, because PTB maps them to exception classes
  (400 -> BadRequest, 403 -> Forbidden, 409 -> Conflict, ``retry_after`` -> RetryAfter, ...);
* long polling with ``offset`` confirmation and webhooks with the secret-token header and
  retries (the bot runs in either mode);
* the methods in :mod:`testkit.telegram.api`: plain-text messages, photos and documents, edits,
  deletions, callback answers, command menus, with Telegram's checks on each; ``getFile`` and
  the file server's download of its path (``base_file_url``);
* the state tests inspect (:mod:`~testkit.telegram.inspection`), the user side they drive
  (:mod:`~testkit.telegram.driving`) and injected failures (:mod:`~testkit.telegram.faults`).

Anything else answers 404 "not implemented by the fake Telegram server", and parameters the
bot never sends (``parse_mode``, replies, inline messages) are refused with 400, so a bot change
that needs more fails loudly instead of passing against a fake that ignores it. Webhook URLs
must point to a loopback address and plain ``http`` on any port is accepted, so a test can
never make the fake reach the internet.
"""

from testkit.telegram.models import (
    CallbackAnswer,
    MessageVersion,
    RequestRecord,
    SentMessage,
    WebhookDelivery,
)
from testkit.telegram.server import FakeTelegramServer
from testkit.telegram.state import TINY_PNG, make_png

__all__ = [
    "TINY_PNG",
    "CallbackAnswer",
    "FakeTelegramServer",
    "MessageVersion",
    "RequestRecord",
    "SentMessage",
    "WebhookDelivery",
    "make_png",
]
