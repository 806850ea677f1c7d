"""The engine's compiled-once check of action answers agrees with Rasa's own check."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from engine_addons import action_validation

VALID: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {},
    {
        "events": [
            {"event": "slot", "name": "requested_slot", "value": "content", "timestamp": None},
            {"event": "active_loop", "name": "feedback_form", "timestamp": None},
            {"event": "followup", "name": "action_listen", "timestamp": None},
        ],
        "responses": [{"text": "Anh/Chị vui lòng nhập nội dung.", "buttons": []}],
    },
]
INVALID: list[dict[str, Any]] = [
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot"}]},  # a slot event without its name
    {"events": "not a list"},
    {"responses": ["not an object"]},
]


@pytest.fixture(scope="module")
def action() -> RemoteAction:
    return RemoteAction("action_test", EndpointConfig("http://127.0.0.1:1"))


@pytest.mark.parametrize("result", VALID)
def test_valid_answers_pass_both_checks(action: RemoteAction, result: dict[str, Any]) -> None:
    assert RemoteAction._validate_action_result(action, result) is True
    assert action_validation.validate_action_result(action, result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_answers_fail_both_checks_with_the_same_error(
    action: RemoteAction, result: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as rasa_error:
        RemoteAction._validate_action_result(action, result)
    with pytest.raises(ValidationError) as our_error:
        action_validation.validate_action_result(action, result)
    assert our_error.value.message == rasa_error.value.message
    assert list(our_error.value.absolute_path) == list(rasa_error.value.absolute_path)


def test_install_replaces_the_check_in_this_process() -> None:
    original = RemoteAction._validate_action_result
    try:
        action_validation.install()
        assert RemoteAction._validate_action_result is action_validation.validate_action_result
    finally:
        RemoteAction._validate_action_result = original  # type: ignore[method-assign]


def test_launcher_runs_the_rasa_command_line() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "engine_addons.serve", "--version"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Rasa Version" in completed.stdout and "3.6.21" in completed.stdout
