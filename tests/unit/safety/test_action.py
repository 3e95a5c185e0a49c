"""action_safety_reply: the reply the safety step decided, with the numbers from the setting."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionSafetyReply


def replies_to(latest: dict[str, Any]) -> list[dict[str, Any]]:
    tracker = Tracker("u", {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    assert ActionSafetyReply().run(dispatcher, tracker, {}) == []
    return dispatcher.messages


def reply_to(latest: dict[str, Any]) -> dict[str, Any]:
    [message] = replies_to(latest)
    return message


@pytest.mark.parametrize("kind", ["emergency", "crisis", "urgent_unconfirmed", "personal_advice"])
def test_the_safety_decision_chooses_the_reply(kind: str) -> None:
    message = reply_to({"intent": {"name": "emergency"}, "safety": {"decision": kind}})
    assert message["topic"] == kind
    assert "999, 911 or 112" in message["text"]


def test_without_a_safety_decision_the_intent_chooses() -> None:
    message = reply_to({"intent": {"name": "personal_advice"}})
    assert message["topic"] == "personal_advice" and len(message["buttons"]) == 3


def test_the_numbers_setting_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMERGENCY_NUMBERS", "000 or 112")
    message = reply_to({"intent": {"name": "emergency"}, "safety": {"decision": "emergency"}})
    assert message["text"].splitlines()[0] == "Call 000 or 112 now."


def test_an_emergency_that_is_also_a_crisis_gets_the_crisis_reply_after_it() -> None:
    safety = {"decision": "emergency", "crisis_too": True}
    first, second = replies_to({"intent": {"name": "emergency"}, "safety": safety})
    assert (first["topic"], second["topic"]) == ("emergency", "crisis")
    assert first["text"].startswith("Call 999, 911 or 112 now.")
    assert "116 123" in second["text"] and "988" in second["text"]
