"""Actions run with a real CollectingDispatcher, the real domain, a knowledge base in SQLite and a
fresh tracker each."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerTopic, ActionHandleFallback
from bot.content.knowledge import KnowledgeBase, load_into_db, read_knowledge
from bot.db import create_db_engine
from tests.support import KNOWLEDGE_DIR

TOPIC_IDS = [topic.id for topic in read_knowledge(KNOWLEDGE_DIR).topics]


def tracker_after(
    intent: str, text: str = "", ranking: list[dict[str, Any]] | None = None
) -> Tracker:
    latest = {
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": ranking or [],
        "entities": [],
        "text": text,
    }
    return Tracker("test-user", {}, latest, [], False, None, {}, "action_listen")


@pytest.fixture
def loaded_db(kb: KnowledgeBase, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    engine = create_db_engine(sqlite_url)
    load_into_db(kb, engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    return sqlite_url


def run(
    action: Action, tracker: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, domain)
    return dispatcher.messages, events  # type: ignore[return-value]


@pytest.mark.parametrize("topic", TOPIC_IDS)
def test_every_topic_is_answered_with_source_disclaimer_and_its_topic(
    topic: str, kb: KnowledgeBase, loaded_db: str, domain: dict[str, Any], disclaimer: str
) -> None:
    messages, events = run(ActionAnswerTopic(), tracker_after(topic), domain)
    assert events == []
    [message] = messages
    stored = next(t for t in kb.topics if t.id == topic)
    assert message["topic"] == topic
    assert message["text"].startswith(stored.answer)
    assert "\n\nSource: " in message["text"]
    assert message["text"].endswith(disclaimer)
    assert [b["payload"] for b in message["buttons"]] == [f"/{r}" for r in stored.related]


def test_a_dead_database_gets_an_apology_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, domain: dict[str, Any]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    [message], _ = run(ActionAnswerTopic(), tracker_after("cost"), domain)
    assert message["topic"] == "unavailable"
    assert "can't reach my information" in message["text"]


def test_an_empty_database_gets_an_apology(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, domain: dict[str, Any]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    create_db_engine(sqlite_url).dispose()
    [message], _ = run(ActionAnswerTopic(), tracker_after("cost"), domain)
    assert message["topic"] == "unavailable"


def test_two_close_topics_get_a_question_with_both_as_buttons(
    loaded_db: str, domain: dict[str, Any]
) -> None:
    ranking = [{"name": "cost", "confidence": 0.41}, {"name": "effectiveness", "confidence": 0.39}]
    [message], events = run(
        ActionHandleFallback(), tracker_after("nlu_fallback", "", ranking), domain
    )
    assert events == []
    assert message["topic"] == "clarify"
    assert [b["payload"] for b in message["buttons"]] == ["/cost", "/effectiveness"]


def test_every_response_the_actions_dispatch_by_name_is_in_the_domain(
    loaded_db: str, domain: dict[str, Any]
) -> None:
    """Runs each action on each path that names a response instead of composing a text."""
    weak = [{"name": "cost", "confidence": 0.12}, {"name": "schedule", "confidence": 0.1}]
    runs = [
        run(ActionHandleFallback(), tracker_after("nlu_fallback", "", weak), domain),
        run(ActionHandleFallback(), tracker_after("nlu_fallback"), domain),
        *(run(ActionAnswerTopic(), tracker_after(topic), domain) for topic in TOPIC_IDS),
    ]
    named = {m["response"] for messages, _ in runs for m in messages if m.get("response")}
    assert named == {"utter_out_of_scope"}
    assert named <= set(domain["responses"])
