"""Actions run with a real CollectingDispatcher, the real domain and a fresh tracker each."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.actions as actions_module
from actions.actions import ActionAnswerTopic
from bot.config import ROOT
from bot.content.knowledge import KnowledgeBase, load_into_db
from bot.db import create_db_engine

DOMAIN: dict[str, Any] = Domain.load(str(ROOT / "domain.yml")).as_dict()
DISCLAIMER = DOMAIN["responses"]["utter_disclaimer"][0]["text"]


def tracker_after(intent: str, text: str = "") -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}
    return Tracker("test-user", {}, latest, [], False, None, {}, "action_listen")


@pytest.fixture
def loaded_db(kb: KnowledgeBase, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    engine = create_db_engine(sqlite_url)
    load_into_db(kb, engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    return sqlite_url


def run(action: Action, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events  # type: ignore[return-value]


@pytest.mark.parametrize("topic", [t for t in DOMAIN["intents"] if t in {
    "what_is_botox", "how_it_works", "procedure", "schedule", "eligibility", "chronic_migraine",
    "side_effects", "effectiveness", "other_treatments", "cost", "see_a_doctor"}])  # fmt: skip
def test_every_topic_is_answered_with_source_disclaimer_and_its_topic(
    topic: str, kb: KnowledgeBase, loaded_db: str
) -> None:
    messages, events = run(ActionAnswerTopic(), tracker_after(topic))
    assert events == []
    [message] = messages
    stored = next(t for t in kb.topics if t.id == topic)
    assert message["topic"] == topic
    assert message["text"].startswith(stored.answer)
    assert "\n\nSource: " in message["text"]
    assert message["text"].endswith(DISCLAIMER)
    assert [b["payload"] for b in message["buttons"]] == [f"/{r}" for r in stored.related]


def test_a_dead_database_gets_an_apology_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    [message], _ = run(ActionAnswerTopic(), tracker_after("cost"))
    assert message["topic"] == "unavailable"
    assert "can't reach my information" in message["text"]


def test_an_empty_database_gets_an_apology(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    create_db_engine(sqlite_url).dispose()
    [message], _ = run(ActionAnswerTopic(), tracker_after("cost"))
    assert message["topic"] == "unavailable"


def test_every_response_an_action_names_exists_in_the_domain() -> None:
    source = inspect.getsource(actions_module) + inspect.getsource(
        __import__("bot.content.answers", fromlist=["x"])
    )
    named = set(re.findall(r"[\"'](utter_[a-z_]+)[\"']", source))
    assert named, "the actions name at least the disclaimer"
    assert named <= set(DOMAIN["responses"])


def test_every_action_class_is_declared_in_the_domain() -> None:
    declared = set(DOMAIN["actions"])
    classes = [
        obj
        for obj in vars(actions_module).values()
        if inspect.isclass(obj) and issubclass(obj, Action) and obj is not Action
    ]
    assert {cls().name() for cls in classes} == declared & {cls().name() for cls in classes}
    assert {cls().name() for cls in classes} <= declared
