"""Actions run with a real CollectingDispatcher, the real domain, a knowledge base in SQLite and a
fresh tracker each."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerFaq, ActionHandleFallback
from bot.content.answers import faq_payload
from bot.content.knowledge import KnowledgeBase, load_into_db, read_knowledge
from bot.db import create_db_engine
from tests.support import KNOWLEDGE_DIR

ENTRY_IDS = [entry.id for entry in read_knowledge(KNOWLEDGE_DIR).entries]


def tracker_after(
    intent: str,
    text: str = "",
    ranking: list[tuple[str, float]] = (),  # type: ignore[assignment]
    entry: str | None = None,
) -> Tracker:
    """The tracker after a message: a button naming `entry`, or the selector's `ranking`."""
    latest = {
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [{"entity": "faq_entry", "value": entry}] if entry else [],
        "text": text,
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "ranking": [
                    {"intent_response_key": f"faq/{e}", "confidence": c} for e, c in ranking
                ]
            },
        },
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


@pytest.mark.parametrize("entry_id", ENTRY_IDS)
def test_every_entry_is_answered_with_source_disclaimer_topic_and_entry(
    entry_id: str, kb: KnowledgeBase, loaded_db: str, domain: dict[str, Any], disclaimer: str
) -> None:
    messages, events = run(ActionAnswerFaq(), tracker_after("faq", entry=entry_id), domain)
    assert events == []
    [message] = messages
    stored = next(e for e in kb.entries if e.id == entry_id)
    assert (message["topic"], message["faq"]) == (stored.topic, entry_id)
    assert message["text"].startswith(stored.answer)
    assert "\n\nSource: " in message["text"]
    assert message["text"].endswith(disclaimer)
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[: len(stored.related)] == [faq_payload(r) for r in stored.related]


def test_a_dead_database_gets_an_apology_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, domain: dict[str, Any]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    [message], _ = run(ActionAnswerFaq(), tracker_after("faq", entry="cost_overview"), domain)
    assert message["topic"] == "unavailable"
    assert "can't reach my information" in message["text"]


def test_an_empty_database_gets_an_apology(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, domain: dict[str, Any]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    create_db_engine(sqlite_url).dispose()
    [message], _ = run(ActionAnswerFaq(), tracker_after("faq", entry="cost_overview"), domain)
    assert message["topic"] == "unavailable"


def test_two_close_entries_get_a_question_with_both_as_buttons(
    loaded_db: str, domain: dict[str, Any]
) -> None:
    ranking = [("cost_overview", 0.41), ("chance_of_halving", 0.39)]
    [message], events = run(
        ActionHandleFallback(), tracker_after("nlu_fallback", "", ranking), domain
    )
    assert events == []
    assert message["topic"] == "clarify"
    assert [b["payload"] for b in message["buttons"]] == [
        faq_payload("cost_overview"),
        faq_payload("chance_of_halving"),
    ]


def test_every_response_the_actions_dispatch_by_name_is_in_the_domain(
    loaded_db: str, domain: dict[str, Any]
) -> None:
    """Runs each action on each path that names a response instead of composing a text."""
    weak = [("cost_overview", 0.12), ("schedule_overview", 0.1)]
    runs = [
        run(ActionHandleFallback(), tracker_after("nlu_fallback", "", weak), domain),
        run(ActionHandleFallback(), tracker_after("nlu_fallback"), domain),
        run(ActionAnswerFaq(), tracker_after("faq", "", weak), domain),
        *(run(ActionAnswerFaq(), tracker_after("faq", entry=e), domain) for e in ENTRY_IDS),
    ]
    named = {m["response"] for messages, _ in runs for m in messages if m.get("response")}
    assert named == {"utter_out_of_scope"}
    assert named <= set(domain["responses"])
