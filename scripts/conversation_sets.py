"""The labelled first-message sets of tests/conversation/ (issue #22), by their use.

Development sets have been read: settings are chosen on them, and their messages train
the engine (nlu/residents.yml, scripts/residents_nlu.py). Held-out sets only measure,
once, after a change (scripts/conversation_report.py); no sentence of theirs is ever
trained or read. A held-out set whose failing items have been read moves to DEVELOPMENT,
and its header says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

ROOT: Final = Path(__file__).resolve().parent.parent
# heldout..heldout11, heldout13, heldout17 and heldout18 were held out until their failing
# items were read (docs/conversation-report.md).
DEVELOPMENT: Final = (
    "dev", "dev2", "dev3", "dev4", "heldout", "heldout2", "heldout3", "heldout4", "heldout5",
    "heldout6", "heldout7", "heldout8", "heldout9", "heldout10", "heldout11", "heldout13",
    "heldout17", "heldout18",
)  # fmt: skip
HELD_OUT: Final = ("heldout12", "heldout14", "heldout15", "heldout16", "heldout19", "heldout20")


def set_path(name: str) -> Path:
    return ROOT / "tests" / "conversation" / f"{name}.yml"


def set_items(name: str) -> list[dict[str, Any]]:
    """The labelled items of one set, as written."""
    return list(yaml.safe_load(set_path(name).read_text(encoding="utf-8"))["items"])
