"""The fake Bot API server: lifecycle and the HTTP layer (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from types import TracebackType
from typing import Any, Final

from aiohttp import web

from testkit.telegram.api import NOT_IMPLEMENTED_PARAMS, BotApi
from testkit.telegram.driving import UserSide
from testkit.telegram.faults import FaultInjection
from testkit.telegram.inspection import Inspection
from testkit.telegram.models import JSONDict, RequestRecord
from testkit.telegram.state import (
    TOKEN_RE,
    ApiError,
    Event,
    Params,
    Upload,
    bad_request,
    normalise_value,
)

_LOG: Final = logging.getLogger("testkit.telegram")


class FakeTelegramServer(UserSide, FaultInjection, Inspection, BotApi):
    """A Bot API server on 127.0.0.1 for one bot token, running in a background thread.

    Test-side methods are thread-safe. The ``wait_for*`` methods block; from an ``async`` test
    (where the application runs on the test's own loop) use the ``*_async`` variants instead, or
    the application could not make progress while the test waits.
    """

    def __init__(
        self,
        token: str = "123:TEST",
        *,
        port: int = 0,
        bot_username: str = "test_bot",
        bot_first_name: str = "Test Bot",
        webhook_retry_max_delay: float = 1.0,
    ) -> None:
        super().__init__(
            token,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            webhook_retry_max_delay=webhook_retry_max_delay,
        )
        self._requested_port = port
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._startup_error: BaseException | None = None
        self._methods: dict[str, tuple[str, Callable[[Params], Any]]] = {
            name.lower(): (name, handler) for name, handler in self._handlers().items()
        }

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> FakeTelegramServer:
        """Starts the server thread and returns once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("FakeTelegramServer is already running")
        ready = threading.Event()
        self._startup_error = None
        self._closing = False
        thread = threading.Thread(
            target=self._run_thread, args=(ready,), name="FakeTelegramServer", daemon=True
        )
        self._thread = thread
        thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("FakeTelegramServer did not start in time")
        if self._startup_error is not None:
            thread.join(timeout)
            self._thread = None
            raise RuntimeError("FakeTelegramServer failed to start") from self._startup_error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the server and joins its thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        try:
            if loop is not None and loop.is_running():
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                try:
                    future.result(timeout)
                finally:
                    loop.call_soon_threadsafe(loop.stop)
        finally:
            thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError("FakeTelegramServer thread did not stop")
            self._thread = None
            self._loop = None
            self._port = None

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegramServer is not running")
        return self._port

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)`` and the back office's photos
        (TELEGRAM_FILE_BASE_URL): the bytes of a file ``getFile`` named, for this token."""
        return f"{self.url}/file/bot"

    @property
    def token(self) -> str:
        return self._token

    def _run_thread(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._startup())
            except BaseException as exc:
                self._startup_error = exc
                return
            finally:
                ready.set()
            loop.run_forever()
        finally:
            # Anything still pending (e.g. a handler aiohttp gave up waiting for) is cancelled
            # so the loop closes cleanly and no task outlives the server.
            leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()

    async def _startup(self) -> None:
        self._closing_event = asyncio.Event()
        self._updates_event = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        # A short shutdown timeout: in-flight long polls are woken on shutdown anyway, and a
        # test suite must not hang for aiohttp's default 60 s.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", self._requested_port))
        except OSError:
            sock.close()
            await runner.cleanup()
            raise
        self._port = int(sock.getsockname()[1])
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner

    async def _shutdown(self) -> None:
        self._closing = True
        if self._closing_event is not None:
            self._closing_event.set()
        self._wake_local()
        task = self._webhook_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- HTTP layer ----------------------------------------------------------------------

    @staticmethod
    def _envelope_error(error: ApiError) -> web.Response:
        body: JSONDict = {
            "ok": False,
            "error_code": error.status,
            "description": error.description,
        }
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    def _check_token(self, token: str) -> ApiError | None:
        if not TOKEN_RE.fullmatch(token):
            return ApiError(HTTPStatus.NOT_FOUND, "Not Found")
        if token != self._token:
            return ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        return None

    @staticmethod
    async def _read_params(request: web.Request) -> Params:
        values: JSONDict = dict(request.query)
        files: dict[str, Upload] = {}
        if request.method == "POST" and request.can_read_body:
            content_type = request.content_type
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        files[name] = Upload(value.filename, value.content_type, value.file.read())
                    else:
                        values[name] = value
            else:
                body = await request.read()
                if body.strip():
                    try:
                        decoded = json.loads(body)
                    except ValueError:
                        raise bad_request("can't parse JSON request body") from None
                    if not isinstance(decoded, dict):
                        raise bad_request("request body must be a JSON object")
                    values.update(decoded)
        normalised = {name: normalise_value(name, value) for name, value in values.items()}
        return Params(normalised, files)

    def _record(
        self,
        method: str,
        params: Params | None,
        arrived: float,
        status: int,
        *,
        description: str | None = None,
        result: Any = None,
        injected: str | None = None,
    ) -> None:
        with self._lock:
            self._requests.append(
                RequestRecord(
                    method=method,
                    params=params.for_log() if params is not None else {},
                    time=arrived,
                    status=status,
                    description=description,
                    result=copy.deepcopy(result),
                    injected=injected,
                )
            )
            if status != HTTPStatus.OK and params is not None:
                # Failed sends go into the chat's transcript: a timeout message then shows
                # why instead of just a missing reply.
                chat_id = params.values.get("chat_id")
                chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
                if chat is not None:
                    why = description or "no response"
                    chat.events.append(Event("note", note=f"!! {method} failed: {status} {why}"))
            self._changed()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """A file download. Telegram's file server answers 404 to a wrong token or path
        alike; the download is logged as ``downloadFile`` with the path."""
        arrived = time.time()
        path = request.match_info["path"]
        params = Params({"file_path": path}, {})
        with self._lock:
            stored = self._files.get(path.rpartition("/")[2])
            found = (
                self._check_token(request.match_info["token"]) is None
                and stored is not None
                and self.file_path(stored) == path
            )
            data = stored.data if found and stored is not None else b""
        if not found:
            self._record("downloadFile", params, arrived, HTTPStatus.NOT_FOUND)
            return web.Response(status=HTTPStatus.NOT_FOUND, text="Not Found")
        self._record("downloadFile", params, arrived, HTTPStatus.OK, result=len(data))
        return web.Response(body=data, content_type="application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        arrived = time.time()
        raw_method = request.match_info["method"]
        spec = self._methods.get(raw_method.lower())
        method = spec[0] if spec is not None else raw_method
        token_error = self._check_token(request.match_info["token"])
        if token_error is not None:
            return self._envelope_error(token_error)

        def respond_error(
            error: ApiError, params: Params | None, injected: str | None
        ) -> web.Response:
            self._record(
                method,
                params,
                arrived,
                error.status,
                description=error.description,
                injected=injected,
            )
            return self._envelope_error(error)

        try:
            params = await self._read_params(request)
        except ApiError as error:
            return respond_error(error, None, None)

        injected: str | None = None
        fault = self._take_fault(method, params)
        if fault is not None:
            injected = fault.action
            if fault.action == "drop":
                self._record(
                    method,
                    params,
                    arrived,
                    0,
                    description="connection dropped (injected)",
                    injected=injected,
                )
                # Aborting the transport makes the client see "server disconnected without
                # sending a response"; the Response below is never written.
                if request.transport is not None:
                    request.transport.abort()
                return web.Response()
            if fault.action == "error":
                injected_error = ApiError(fault.status, fault.description, fault.retry_after)
                return respond_error(injected_error, params, injected)
            if fault.action == "delay":
                await self._sleep(fault.delay)

        if spec is None:
            unknown = ApiError(
                HTTPStatus.NOT_FOUND,
                f"Not Found: method {raw_method} is not implemented by the fake Telegram server",
            )
            return respond_error(unknown, params, injected)
        refused = next((name for name in NOT_IMPLEMENTED_PARAMS if params.get(name)), None)
        if refused is not None:
            refusal = bad_request(f"{refused} is not implemented by the fake Telegram server")
            return respond_error(refusal, params, injected)

        def respond_ok(result: Any) -> web.Response:
            if injected == "accept_drop" and request.transport is not None:
                # Done and logged as a success, then the answer is lost on the way: the
                # client sees a reset although Telegram delivered the message.
                request.transport.abort()
            self._record(method, params, arrived, HTTPStatus.OK, result=result, injected=injected)
            body: JSONDict = {"ok": True, "result": result}
            description = {"setWebhook": "Webhook was set", "deleteWebhook": "Webhook was deleted"}
            if method in description:
                body["description"] = description[method]
            return web.json_response(body)

        try:
            with self._lock:
                # Synchronous handlers run and are logged under one lock hold, so a test that
                # sees their effect (an edited message, say) also sees the request in the log.
                outcome = spec[1](params)
                if not isinstance(outcome, Awaitable):
                    return respond_ok(outcome)
            result = await outcome
        except ApiError as error:
            return respond_error(error, params, injected)
        except Exception as exc:
            _LOG.exception("fake Telegram server failed handling %s", method)
            bug = ApiError(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                f"Internal Server Error: fake server bug: {exc!r}",
            )
            return respond_error(bug, params, injected)
        return respond_ok(result)
