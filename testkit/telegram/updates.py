"""How updates reach the bot: long polling (getUpdates with ``offset`` confirmation, one
poller at a time) or a webhook (POSTs in order with the secret-token header, retried)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import time
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from testkit.telegram.core import ServerState
from testkit.telegram.models import JSONDict, WebhookDelivery
from testkit.telegram.state import (
    ApiError,
    Params,
    Webhook,
    bad_request,
    is_loopback_host,
    update_type,
)

#: Update types delivered when ``allowed_updates`` is not set (Telegram's documented default).
_DEFAULT_EXCLUDED_UPDATES: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
_SECRET_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")


class UpdateDelivery(ServerState):
    def _set_allowed_updates(self, allowed: Any) -> None:
        if allowed is None:
            return  # Telegram keeps the previous setting
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise bad_request("can't parse allowed_updates JSON array")
        self._allowed_updates = set(allowed) or None

    def _drop_disallowed(self) -> None:
        # Telegram never creates updates of types the bot did not ask for.
        def allowed(update: JSONDict) -> bool:
            kind = update_type(update)
            if self._allowed_updates is None:
                return kind not in _DEFAULT_EXCLUDED_UPDATES
            return kind in self._allowed_updates

        self._pending_updates = [u for u in self._pending_updates if allowed(u)]

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset > 0:
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        else:
            self._pending_updates = self._pending_updates[offset:]
        self._changed()

    async def _api_get_updates(self, params: Params) -> list[JSONDict]:
        offset = params.get_int("offset")
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_int("timeout") or 0, 0)
        with self._lock:
            if self._webhook.url:
                raise ApiError(
                    HTTPStatus.CONFLICT,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            self._set_allowed_updates(params.get_json("allowed_updates"))
            self._confirm(offset)
            self._poll_sequence += 1
            my_sequence = self._poll_sequence
        # A newer getUpdates terminates an older one, as on Telegram: two pollers for one
        # token is a bug the tests should see.
        self._wake_local()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self._lock:
                self._drop_disallowed()
                batch = copy.deepcopy(self._pending_updates[:limit])
                superseded = self._poll_sequence != my_sequence
                webhook_set = bool(self._webhook.url)
            if batch:
                return batch
            if superseded or webhook_set:
                raise ApiError(
                    HTTPStatus.CONFLICT,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing or self._updates_event is None:
                return []
            # Capturing the event and checking the queue happen without an await in between,
            # so a wake-up scheduled by another thread cannot be missed.
            event = self._updates_event
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _api_set_webhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if not url:
            return self._api_delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("bad webhook: Webhook URL must be an absolute HTTP(S) URL")
        if not is_loopback_host(parts.hostname):
            # Never let the fake talk to the outside world.
            raise bad_request(
                "bad webhook: the fake Telegram server delivers only to loopback addresses"
            )
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        with self._lock:
            self._set_allowed_updates(params.get_json("allowed_updates"))
            if params.get_bool("drop_pending_updates"):
                self._pending_updates.clear()
            self._webhook = Webhook(url=url, secret_token=secret, max_connections=max_connections)
            self._changed()
        self._wake_local()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())
        return True

    def _api_delete_webhook(self, params: Params) -> bool:
        with self._lock:
            if params.get_bool("drop_pending_updates"):
                self._pending_updates.clear()
            self._webhook = Webhook()
            self._changed()
        self._wake_local()
        return True

    async def _webhook_worker(self) -> None:
        """POSTs pending updates to the webhook one at a time, in order, retrying failures."""
        delay = 0.05
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._closing:
                with self._lock:
                    hook = self._webhook
                    self._drop_disallowed()
                    update = (
                        copy.deepcopy(self._pending_updates[0]) if self._pending_updates else None
                    )
                if not hook.url:
                    return
                if update is None:
                    event = self._updates_event
                    if event is None:
                        return
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(event.wait(), 1.0)
                    continue
                headers = {"Content-Type": "application/json"}
                if hook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
                status: int | None = None
                error: str | None = None
                try:
                    async with session.post(
                        hook.url, data=json.dumps(update), headers=headers
                    ) as response:
                        status = response.status
                        await response.read()
                        if not 200 <= status < 300:
                            error = f"Wrong response from the webhook: {status} {response.reason}"
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    error = f"Connection failed: {exc!r}"
                with self._lock:
                    self._deliveries.append(
                        WebhookDelivery(update["update_id"], hook.url, status, error, time.time())
                    )
                    if error is None:
                        self._pending_updates = [
                            u
                            for u in self._pending_updates
                            if u["update_id"] != update["update_id"]
                        ]
                    elif self._webhook is hook:
                        hook.last_error_date = int(time.time())
                        hook.last_error_message = error
                    self._changed()
                if error is None:
                    delay = 0.05
                else:
                    await self._sleep(delay)
                    delay = min(delay * 2, self._webhook_retry_max_delay)
