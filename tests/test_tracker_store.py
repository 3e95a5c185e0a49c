"""Conversations persist in Rasa's SQL tracker store at DATABASE_URL (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import ROOT
from bot.tracker_store import UrlSQLTrackerStore

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def test_a_saved_conversation_is_read_back_by_a_new_store(database_url: str) -> None:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("what is botox?", {"name": "what_is_botox", "confidence": 0.9}),
        ActionExecuted("action_answer_topic"),
        BotUttered("Botox is ...", metadata={"topic": "what_is_botox"}),
    ]
    tracker = DialogueStateTracker.from_events("patient-1", events)
    asyncio.run(UrlSQLTrackerStore(DOMAIN, host=database_url).save(tracker))

    restarted = UrlSQLTrackerStore(DOMAIN, host=database_url)
    loaded = asyncio.run(restarted.retrieve("patient-1"))
    assert loaded is not None
    assert [e.text for e in loaded.events if isinstance(e, UserUttered)] == ["what is botox?"]
    assert [e.metadata for e in loaded.events if isinstance(e, BotUttered)] == [
        {"topic": "what_is_botox"}
    ]


def test_database_url_from_the_environment_is_used(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    store = UrlSQLTrackerStore(DOMAIN)
    assert str(store.engine.url) == sqlite_url
