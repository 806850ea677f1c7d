"""Our action server protections, through rasa-sdk's own plugin hook.

rasa-sdk imports a top-level `rasa_sdk_plugins` package, when there is one, and calls its
`init_hooks(manager)`; `rasa_sdk.endpoint.run` then calls `attach_sanic_app_extensions`
on the app it serves. So the stock command (`python -m rasa_sdk --actions actions`) with
the repository on PYTHONPATH serves with:

- the shared secret (laikhe/internal_auth.py): `/webhook` and `/actions` refuse a request
  without `X-Laikhe-Secret` when `INTERNAL_SECRET` is set (`/health` stays open for
  HAProxy's checks); the engine sends it (endpoints.yml, action_endpoint headers);
- no personal data in the logs or in error answers: rasa-sdk's own error handler logs
  the exception with its message and answers with the whole request body (the tracker:
  every message of the conversation), which the engine then logs; ours logs the
  exception by type and frames (laikhe/logsafe.py) and answers without the body.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import pluggy

from laikhe import internal_auth, logsafe

hookimpl = pluggy.HookimplMarker("rasa_sdk")
logger = logging.getLogger(__name__)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(sys.modules[__name__])


async def answer_error(request: Any, exception: Exception) -> Any:
    from sanic import response
    from sanic.exceptions import SanicException

    if isinstance(exception, SanicException):  # 404, 405, ...: the client's mistake
        return response.json({"error": type(exception).__name__}, status=exception.status_code)
    logger.error("action server error on %s", request.path, exc_info=exception)
    return response.json({"error": type(exception).__name__}, status=500)


@hookimpl
def attach_sanic_app_extensions(app: Any) -> None:
    logsafe.install()
    internal_auth.install_sanic_guard(
        app, open_paths=frozenset({"/health"}), secret=internal_auth.configured_secret()
    )
    app.exception(Exception)(answer_error)
