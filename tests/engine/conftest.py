"""Engine-side tests: run with the Rasa virtualenv (.venv/engine), never the app one."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too so the marker is known even without the root pyproject
    # options (e.g. when run with --confcutdir/--rootdir pointing at this folder).
    config.addinivalue_line("markers", "slow: trains a model")
