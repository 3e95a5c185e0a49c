"""The compiled action-reply check accepts and rejects exactly what Rasa's own check does; the
event-type cache resolves exactly as Rasa does."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot.nlu.rasa_patches import cache_event_types, compile_action_response_check

GOOD: dict[str, Any] = {"events": [], "responses": [{"text": "hi", "topic": "greet"}]}
BAD: list[dict[str, Any]] = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "no such event"}], "responses": []},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture(scope="module")
def action() -> RemoteAction:
    compile_action_response_check()
    return RemoteAction("action_answer_faq", None)


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


def test_cached_event_types_resolve_as_rasa_does() -> None:
    names = {cls.type_name for cls in all_subclasses(Event)}
    rasa_says = {name: Event.resolve_by_type(name) for name in names}
    cache_event_types()
    cache_event_types()  # idempotent
    for _ in range(2):  # the first time fills the cache, the second reads it
        assert {name: Event.resolve_by_type(name) for name in names} == rasa_says
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no such event", ActionExecuted) is ActionExecuted
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")
