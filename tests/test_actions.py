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
from actions.actions import ActionAnswerFaq, ActionHandleFallback
from bot.config import ROOT
from bot.content.knowledge import KnowledgeBase, load_into_db
from bot.db import create_db_engine

DOMAIN: dict[str, Any] = Domain.load(str(ROOT / "domain.yml")).as_dict()
DISCLAIMER = DOMAIN["responses"]["utter_disclaimer"][0]["text"]


def tracker_after(
    intent: str, text: str = "", entry: str | None = None, selected: list[tuple[str, float]] = ()
) -> Tracker:
    """The tracker after a message: a button naming `entry`, or the selector's `selected`."""
    entities = [{"entity": "faq_entry", "value": entry}] if entry else []
    ranking = [{"intent_response_key": f"faq/{e}", "confidence": c} for e, c in selected]
    latest = {
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities,
        "text": text,
        "response_selector": {"all_retrieval_intents": ["faq"], "faq": {"ranking": ranking}},
    }
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


def test_a_button_naming_an_entry_gets_that_answer_with_source_and_disclaimer(
    kb: KnowledgeBase, loaded_db: str
) -> None:
    messages, events = run(ActionAnswerFaq(), tracker_after("faq", entry="does_it_hurt"))
    assert events == []
    [message] = messages
    stored = next(e for e in kb.entries if e.id == "does_it_hurt")
    assert (message["topic"], message["faq"]) == ("procedure", "does_it_hurt")
    assert message["text"].startswith(stored.answer)
    assert "\n\nSource: " in message["text"]
    assert message["text"].endswith(DISCLAIMER)
    assert [b["payload"] for b in message["buttons"]] == [
        f'/faq{{"faq_entry":"{r}"}}' for r in stored.related
    ]


def test_without_a_named_entry_the_selector_choice_is_answered(loaded_db: str) -> None:
    tracker = tracker_after("faq", selected=[("visit_length", 0.8), ("does_it_hurt", 0.1)])
    [message], _ = run(ActionAnswerFaq(), tracker)
    assert (message["topic"], message["faq"]) == ("procedure", "visit_length")


def test_two_close_entries_get_did_you_mean_with_two_buttons(loaded_db: str) -> None:
    tracker = tracker_after("faq", selected=[("visit_length", 0.4), ("does_it_hurt", 0.39)])
    for action in (ActionAnswerFaq(), ActionHandleFallback()):
        [message], _ = run(action, tracker)
        assert message["topic"] == "clarify" and "Did you mean" in message["text"]
        assert len(message["buttons"]) == 2


def test_a_weak_guess_gets_the_out_of_scope_reply(loaded_db: str) -> None:
    tracker = tracker_after("faq", selected=[("visit_length", 0.1), ("does_it_hurt", 0.05)])
    [message], _ = run(ActionAnswerFaq(), tracker)
    assert message["response"] == "utter_out_of_scope"


def test_a_dead_database_gets_an_apology_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    [message], _ = run(ActionAnswerFaq(), tracker_after("faq", entry="cost_overview"))
    assert message["topic"] == "unavailable"
    assert "can't reach my information" in message["text"]


def test_an_empty_database_gets_an_apology(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    create_db_engine(sqlite_url).dispose()
    [message], _ = run(ActionAnswerFaq(), tracker_after("faq", entry="cost_overview"))
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
