"""A fake Zalo Bot Platform server for tests: the methods the Zalo process calls, as
docs/channels.md records them, in a background thread (aiohttp, as testkit/telegram).

POST `/bot<TOKEN>/<method>` with a JSON body, answered `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": ..., "description": ...}`. `getUpdates` long-polls and answers
**one** update (as documented), or a 408 when none came within its `timeout`. Sent texts
are checked against the platform's limits (1 to 2,000 characters, a string chat id) and
recorded per chat; the test side writes as a resident (`say`, `send_photo`) and reads what
the bot sent (`texts`, `wait_for_text`). `fail_next` makes the next calls of a method
fail with 429 or 5xx without effect, as the real platform's error answers would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

MAX_TEXT: Final = 2000
MAX_POLL_SECONDS: Final = 5.0  # a long poll is cut short so a stopping test never waits long


@dataclass
class Sent:
    chat_id: str
    text: str
    message_id: str


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    status: int
    injected: bool = False
    at: float = field(default_factory=time.monotonic)  # when the server answered


@dataclass
class _Fault:
    method: str
    remaining: int
    status: int
    description: str


@dataclass
class _State:
    updates: deque[Any] = field(default_factory=deque)
    sent: list[Sent] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    # Files at /media/<name>, as Zalo's photo URLs serve a resident's photo.
    media: dict[str, bytes] = field(default_factory=dict)


class FakeZaloServer:
    def __init__(self, token: str = "1234567890:FAKE-ZALO-TOKEN") -> None:
        self.token = token
        self._state = _State()
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._arrived: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._listeners: list[Callable[[Sent, float], None]] = []

    # --- lifecycle ---------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> FakeZaloServer:
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="FakeZaloServer", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout) or self._port is None:
            raise RuntimeError("FakeZaloServer did not start")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = self._loop = None

    @property
    def base_url(self) -> str:
        """For ZALO_API_BASE_URL (the client appends `/bot<TOKEN>/<method>`)."""
        return f"http://127.0.0.1:{self._port}"

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        loop.run_until_complete(self._startup())
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _startup(self) -> None:
        self._arrived = asyncio.Event()
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/media/{name}", self._media)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self._port = int(sock.getsockname()[1])
        await web.SockSite(runner, sock).start()
        self._runner = runner

    async def _shutdown(self) -> None:
        if self._arrived is not None:
            self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- the API -----------------------------------------------------------------------

    def host_photo(self, data: bytes) -> str:
        """A URL serving `data`, as a Zalo photo update names one."""
        name = f"p{next(self._ids)}.jpg"
        with self._lock:
            self._state.media[name] = data
        return f"{self.base_url}/media/{name}"

    async def _media(self, request: web.Request) -> web.Response:
        with self._lock:
            data = self._state.media.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="image/jpeg")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error(method, {}, 401, "Unauthorized")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._error(method, {}, 400, "Bad Request: body must be a JSON object")
        fault = self._take_fault(method)
        if fault is not None:
            return self._error(method, body, fault.status, fault.description, injected=True)
        if method == "getUpdates":
            return await self._get_updates(body)
        handler = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "sendChatAction": self._acknowledge,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
        }.get(method)
        if handler is None:
            return self._error(method, body, 404, "Not Found: unknown method")
        try:
            result = handler(body)
        except ValueError as problem:
            return self._error(method, body, 400, f"Bad Request: {problem}")
        return self._ok(method, body, result)

    def _ok(self, method: str, body: dict[str, Any], result: Any) -> web.Response:
        with self._lock:
            self._state.calls.append(Call(method, body, 200))
            self._lock.notify_all()
        return web.json_response({"ok": True, "result": result})

    def _error(
        self,
        method: str,
        body: dict[str, Any],
        status: int,
        description: str,
        *,
        injected: bool = False,
    ) -> web.Response:
        with self._lock:
            self._state.calls.append(Call(method, body, status, injected))
            self._lock.notify_all()
        answer = {"ok": False, "error_code": status, "description": description}
        return web.json_response(answer, status=status)

    def _get_me(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.token.split(":")[0],
            "account_name": "bot.laikhe",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    def _send_message(self, body: dict[str, Any]) -> dict[str, Any]:
        chat_id, text = body.get("chat_id"), body.get("text")
        if not isinstance(chat_id, str) or not chat_id:
            raise ValueError("chat_id must be a non-empty string")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            raise ValueError(f"text must have 1 to {MAX_TEXT} characters")
        sent = Sent(chat_id, text, f"m{next(self._ids)}")
        with self._lock:
            self._state.sent.append(sent)
            for listener in self._listeners:
                listener(sent, time.time())
            self._lock.notify_all()
        return {"message_id": sent.message_id, "date": int(time.time() * 1000)}

    def _acknowledge(self, body: dict[str, Any]) -> bool:
        return True

    def _webhook_info(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {"url": (self._state.webhook or {}).get("url", "")}

    def _set_webhook(self, body: dict[str, Any]) -> bool:
        secret = body.get("secret_token")
        if not isinstance(body.get("url"), str) or not isinstance(secret, str):
            raise ValueError("url and secret_token are required")
        if not 8 <= len(secret) <= 256:
            raise ValueError("secret_token must have 8 to 256 characters")
        with self._lock:
            self._state.webhook = dict(body)
        return True

    def _delete_webhook(self, body: dict[str, Any]) -> bool:
        with self._lock:
            self._state.webhook = None
        return True

    async def _get_updates(self, body: dict[str, Any]) -> web.Response:
        if self._state.webhook is not None:
            return self._error("getUpdates", body, 409, "Conflict: a webhook is set")
        timeout = body.get("timeout", 30)
        wait = min(float(timeout) if isinstance(timeout, (int, float)) else 30.0, MAX_POLL_SECONDS)
        deadline = time.monotonic() + wait
        assert self._arrived is not None
        while True:
            with self._lock:
                if self._state.updates:
                    update = self._state.updates.popleft()
                    return self._ok("getUpdates", body, update)
                self._arrived.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return self._error("getUpdates", body, 408, "Request timeout")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    # --- the test side -----------------------------------------------------------------

    def _push(self, update: Any) -> None:
        with self._lock:
            self._state.updates.append(update)
        loop, arrived = self._loop, self._arrived
        if loop is not None and arrived is not None:
            loop.call_soon_threadsafe(arrived.set)

    def update(self, chat_id: str, event: str, **message: Any) -> dict[str, Any]:
        """An update as Zalo shapes it, from a resident in a private chat (not queued)."""
        return {
            "event_name": event,
            "message": {
                "from": {"id": chat_id, "display_name": "Người dân", "is_bot": False},
                "chat": {"id": chat_id, "chat_type": "PRIVATE"},
                "message_id": f"u{next(self._ids)}",
                "date": int(time.time() * 1000),
                **message,
            },
        }

    def say(self, chat_id: str, text: str) -> dict[str, Any]:
        update = self.update(chat_id, "message.text.received", text=text)
        self._push(update)
        return update

    def say_in_group(self, group_id: str, user_id: str, text: str) -> dict[str, Any]:
        """A member of a group (an office's staff) writes in it."""
        update = self.update(group_id, "message.text.received", text=text)
        update["message"]["chat"]["chat_type"] = "GROUP"
        update["message"]["from"]["id"] = user_id
        self._push(update)
        return update

    def send_photo(self, chat_id: str, url: str, caption: str = "") -> dict[str, Any]:
        update = self.update(chat_id, "message.image.received", photo=url, caption=caption)
        self._push(update)
        return update

    def send_update(self, update: Any) -> None:
        """Any update as given, a forged or malformed one included (getUpdates answers it
        as its `result`)."""
        self._push(update)

    def redeliver(self, update: dict[str, Any]) -> None:
        """The same update again (as a retried webhook or a repeated poll would)."""
        self._push(json.loads(json.dumps(update)))

    def fail_next(self, method: str, count: int = 1, status: int = 429) -> None:
        """The next `count` calls of `method` fail with `status` and have no effect."""
        description = "Too Many Requests" if status == 429 else f"Server error {status}"
        with self._lock:
            self._state.faults.append(_Fault(method, count, status, description))

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._state.faults:
                if fault.method == method and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._state.faults.remove(fault)
                    return fault
        return None

    def on_sent(self, listener: Callable[[Sent, float], None]) -> Callable[[], None]:
        """Calls `listener(sent, arrival_time)` for every text the bot sends: for load
        drivers, which would distort a benchmark by scanning every chat's texts (as
        testkit/telegram's on_bot_message). It runs on the server thread with the lock
        held: it must only hand the text over. Returns a function that removes it."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def texts(self, chat_id: str) -> list[str]:
        with self._lock:
            return [sent.text for sent in self._state.sent if sent.chat_id == chat_id]

    def calls(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self._state.calls if call.method == method]

    @property
    def webhook(self) -> dict[str, Any] | None:
        with self._lock:
            return self._state.webhook

    def wait_for_text(
        self, chat_id: str, contains: str, *, after: int = 0, timeout: float = 30.0
    ) -> tuple[int, str]:
        """The first text sent to the chat from index `after` on that contains `contains`:
        its index and the text. Raises TimeoutError with the chat's texts."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                texts = [s.text for s in self._state.sent if s.chat_id == chat_id]
                for index in range(after, len(texts)):
                    if contains in texts[index]:
                        return index, texts[index]
                left = deadline - time.monotonic()
                if left <= 0:
                    shown = "\n---\n".join(texts[after:]) or "(nothing)"
                    raise TimeoutError(f"no text with {contains!r} for {chat_id}:\n{shown}")
                self._lock.wait(left)

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while sum(1 for call in self._state.calls if call.method == method) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"fewer than {count} {method} calls")
                self._lock.wait(left)
