"""The compiled action-reply check accepts and rejects exactly what Rasa's own check does."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.nlu.rasa_patches import compile_action_response_check

GOOD: dict[str, Any] = {"events": [], "responses": [{"text": "hi", "topic": "greet"}]}
BAD: list[dict[str, Any]] = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "no such event"}], "responses": []},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture(scope="module")
def action() -> RemoteAction:
    compile_action_response_check()
    return RemoteAction("action_answer_topic", None)


def test_a_valid_reply_passes(action: RemoteAction) -> None:
    assert action._validate_action_result(GOOD) is True
    jsonschema.validate(GOOD, RemoteAction.action_response_format_spec())


@pytest.mark.parametrize("reply", BAD)
def test_an_invalid_reply_is_rejected_like_rasa_rejects_it(
    action: RemoteAction, reply: dict[str, Any]
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        action._validate_action_result(reply)
