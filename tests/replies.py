"""What a message an action utters says, as the engine would send it.

An action sends most messages as `response="utter_..."` with its values; the engine
fills the response's {placeholders} from domain.yml. Here only from the values the action
passed (never from slots), so a value the action forgot fails instead of being filled
by chance.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Keys of a CollectingDispatcher message that are not template values.
MESSAGE_KEYS = frozenset(
    {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}
)


# domain.yml as the engine sends it to the action server, with its responses.
DOMAIN: Final[dict[str, Any]] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def responses() -> dict[str, list[dict[str, Any]]]:
    return dict(DOMAIN["responses"])


def engine_render(template: str, values: dict[str, Any]) -> str:
    """rasa/core/nlg/interpolator.interpolate_text, without its fallbacks: a missing value
    raises KeyError, and a result the engine would discard (it sends the bare template
    when the filled text contains "0[") fails."""
    text = re.sub(r"{([^\n{}]+?)}", r"{0[\1]}", template).format(values)
    assert "0[" not in text, f"the engine would send the bare template: {template!r}"
    return text


def values_of(message: dict[str, Any]) -> dict[str, Any]:
    """The template values an action passed with its response."""
    return {key: value for key, value in message.items() if key not in MESSAGE_KEYS}


def text_of(message: dict[str, Any]) -> str:
    """The message's text: its response rendered with its values, or the text it carries."""
    name = message.get("response")
    if not name:
        return str(message["text"])
    [variant] = responses()[name]
    return engine_render(str(variant["text"]), values_of(message))


def said(message: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(response name, values) of a message: what an action chose to say."""
    return message.get("response"), values_of(message)
