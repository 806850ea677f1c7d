"""What the actions say is written in domain.yml `responses:`, where commune staff edit it.

An action sends a whole message as `response=` with its values (`code=...`) and the
engine fills the {placeholders}. A message put together from optional lines (a summary,
a ticket's status, what an erasure removed) is assembled here instead, each line's
wording a `utter_line_*` response: those lines carry what the resident typed, and the
engine's interpolation returns the bare template when a filled-in value contains "0["
(rasa/core/nlg/interpolator.py), so a resident's words are never given to it.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

from rasa_sdk.types import DomainDict

logger = logging.getLogger(__name__)

# The engine's placeholder syntax (rasa/core/nlg/interpolator.py).
PLACEHOLDER: Final = re.compile(r"{([^\n{}]+?)}")


def line(domain: DomainDict, name: str, /, **values: Any) -> str:
    """A response's text with its placeholders filled; an unknown placeholder is left as
    written (as the engine does) and logged, so a staff typo shows rather than breaks."""
    text = str(domain["responses"][name][0]["text"])

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            logger.error("response %s has no value for {%s}", name, key)
            return match.group(0)
        return str(values[key])

    return PLACEHOLDER.sub(fill, text)
