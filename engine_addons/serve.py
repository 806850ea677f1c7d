"""Run the Rasa command line with our engine fixes and protections installed first.

`python -m engine_addons.serve run --model ...` takes the same arguments as
`python -m rasa`; every process that serves conversations starts the engine through it.
`--stock` (first argument) leaves out the performance fix (engine_addons/action_validation.py)
for side-by-side benchmarks, and keeps the protections:

- the shared secret (laikhe/internal_auth.py): every route but the liveness `/` refuses a
  request without `X-Laikhe-Secret` when `INTERNAL_SECRET` is set;
- the HTTP API token comes from `RASA_TOKEN` in the environment, never from argv (`ps`
  shows argv to every user of the machine); `--enable-api` without it does not start;
- no personal data in the logs: exceptions by type and frames (laikhe/logsafe.py),
  Rasa's structured log events with their values redacted (the REST channel logs the
  resident's text on a timeout), the SQL tracker store's parameters hidden.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from engine_addons import action_validation
from laikhe import internal_auth, logsafe

TOKEN_ENV = "RASA_TOKEN"
# Values of structured log events that are kept: names of what happened, never content.
_KEPT_EVENT_KEYS = frozenset({"event", "event_key", "event_info", "log_level", "timestamp"})


def _argv_with_token(argv: list[str], environ: Mapping[str, str]) -> list[str]:
    if "--enable-api" not in argv:
        return argv
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in argv):
        raise SystemExit(f"pass the API token in {TOKEN_ENV}, not on the command line")
    token = environ.get(TOKEN_ENV, "")
    if len(token) < internal_auth.MIN_LENGTH:
        raise SystemExit(f"--enable-api needs a long random {TOKEN_ENV} in the environment")
    # Parsed in this process only: /proc/<pid>/cmdline keeps the original argv. One
    # "--auth-token=..." word: a token starting with "-" would read as an option.
    return [*argv, f"--auth-token={token}"]


def redact_event(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: keep the event's name and numbers, redact every other value
    (texts, slot values, tracker states, sender ids) before it is rendered."""
    info = event_dict.pop("exc_info", None)
    for key, value in event_dict.items():
        if key in _KEPT_EVENT_KEYS or value is None or isinstance(value, (bool, int, float)):
            continue
        event_dict[key] = "[redacted]"
    error = sys.exc_info()[1] if info is True else info
    if isinstance(error, tuple):
        error = error[1]
    if isinstance(error, BaseException):
        event_dict["exception"] = logsafe.safe_traceback(error)
    return event_dict


def _install_log_protection() -> None:
    import rasa.__main__
    import rasa.core.tracker_store
    import structlog

    logsafe.install()
    configure_structlog = rasa.__main__.configure_structlog

    def configure_redacting_structlog(log_level: int | None = None) -> None:
        configure_structlog(log_level)
        processors = structlog.get_config()["processors"]
        structlog.configure(processors=[redact_event, *processors])

    rasa.__main__.configure_structlog = configure_redacting_structlog

    engine_kwargs = rasa.core.tracker_store.create_engine_kwargs

    def hidden_parameters(url: Any) -> dict[str, Any]:
        return {**engine_kwargs(url), "hide_parameters": True}

    rasa.core.tracker_store.create_engine_kwargs = hidden_parameters


def _install_secret_check() -> None:
    import rasa.core.run

    configure_app = rasa.core.run.configure_app
    secret = internal_auth.configured_secret()

    def configure_guarded_app(*args: Any, **kwargs: Any) -> Any:
        app = configure_app(*args, **kwargs)
        internal_auth.install_sanic_guard(app, open_paths=frozenset({"/"}), secret=secret)
        return app

    rasa.core.run.configure_app = configure_guarded_app


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["--stock"]:
        argv = argv[1:]
    else:
        action_validation.install()
    argv = _argv_with_token(argv, os.environ)
    _install_secret_check()
    _install_log_protection()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *argv]
    rasa_main()


if __name__ == "__main__":
    main()
