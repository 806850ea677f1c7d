"""Check action server answers against Rasa's schema compiled once, not once per call.

Rasa 3.6 checks every custom action's answer with `jsonschema.validate(result, spec)`.
That function re-checks the whole event schema against the JSON Schema meta-schema and
builds a new validator on every call; profiled under load it was 61 % of the engine's
CPU per turn (docs/performance.md). Rasa 3.6 is the last open-source release, so the
fix cannot go upstream: the engine launcher (`engine_addons.serve`) installs this
replacement, which checks the same schema with the same validator class and raises the
same `ValidationError` (same best-match error, same message suffix).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import exceptions, validators


@lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, as `jsonschema.validate` does per call
    return validator_class(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """Drop-in for `RemoteAction._validate_action_result`."""
    from rasa.shared.constants import DOCS_BASE_URL

    error = exceptions.best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        "For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
