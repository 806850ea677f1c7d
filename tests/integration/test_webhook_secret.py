"""The real `python -m bot` process refuses webhook mode without a long random secret."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from laikhe.settings import MAKE_WEBHOOK_SECRET
from scripts.stack import ROOT


@pytest.mark.parametrize("secret", [None, "", "too-short-0123456789"])
def test_bot_refuses_to_start_a_webhook_without_a_long_random_secret(
    secret: str | None, tmp_path: object
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "RASA_", "DATABASE_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN="123:NEVER-USED",
        # Nothing listens there: had the bot started, it would fail differently.
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
        TELEGRAM_MODE="webhook",
        TELEGRAM_WEBHOOK_URL="https://bot.example.invalid/telegram",
        DATABASE_URL=f"sqlite:///{tmp_path}/none.db",
    )
    if secret is not None:
        env["TELEGRAM_WEBHOOK_SECRET"] = secret
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "TELEGRAM_WEBHOOK_SECRET" in done.stderr
    assert MAKE_WEBHOOK_SECRET in done.stderr
    assert "Traceback" not in done.stderr
    if secret:
        assert secret not in done.stderr + done.stdout
