"""Conversations persist in Rasa's SQL tracker store at DATABASE_URL (SQLite and PostgreSQL),
with personal identifiers redacted."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.db import create_db_engine
from bot.stores.tracker_store import UrlSQLTrackerStore


def test_a_saved_conversation_is_read_back_by_a_new_store(
    database_url: str, rasa_domain: Domain
) -> None:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("what is botox?", {"name": "what_is_botox", "confidence": 0.9}),
        ActionExecuted("action_answer_topic"),
        BotUttered("Botox is ...", metadata={"topic": "what_is_botox"}),
    ]
    tracker = DialogueStateTracker.from_events("patient-1", events)
    asyncio.run(UrlSQLTrackerStore(rasa_domain, host=database_url).save(tracker))

    restarted = UrlSQLTrackerStore(rasa_domain, host=database_url)
    loaded = asyncio.run(restarted.retrieve("patient-1"))
    assert loaded is not None
    assert [e.text for e in loaded.events if isinstance(e, UserUttered)] == ["what is botox?"]
    assert [e.metadata for e in loaded.events if isinstance(e, BotUttered)] == [
        {"topic": "what_is_botox"}
    ]


def test_database_url_from_the_environment_is_used(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, rasa_domain: Domain
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    store = UrlSQLTrackerStore(rasa_domain)
    assert str(store.engine.url) == sqlite_url


EMAIL = "jane.doe@example.com"
IDENTIFIERS = [
    EMAIL,
    "07700 900123",
    "07700900123",
    "+44 7700 900123",
    "(555) 123-4567",
    "123-4567",
    "943 476 5919",
    "900123",
    "5919",
    "123-45-6789",
    "4111 1111 1111 1111",
    "192.168.1.20",
]
SAID = (
    f"I'm {EMAIL}, mobile 07700 900123 or +44 7700 900123, US (555) 123-4567, NHS number "
    "943 476 5919, SSN 123-45-6789, card 4111 1111 1111 1111, IP 192.168.1.20. "
    "Is 155 units every 12 weeks normal with 15 headache days?"
)


def _stored_rows(database_url: str) -> list[dict[str, Any]]:
    """The rows of Rasa's `events` table as they are in the database, every column."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT * FROM events ORDER BY id")).all()
    finally:
        engine.dispose()
    return [dict(row._mapping) for row in rows]


def test_identifiers_are_redacted_everywhere_in_the_stored_events(
    database_url: str, rasa_domain: Domain
) -> None:
    user = UserUttered(
        SAID,
        {"name": "schedule", "confidence": 0.9},
        entities=[{"entity": "email", "value": EMAIL, "start": 4, "end": 24}],
        input_channel="rest",
        metadata={"user": {"email": EMAIL, "phone": "07700900123"}},
    )
    tracker = DialogueStateTracker.from_events(
        "patient-2",
        [
            ActionExecuted("action_listen"),
            user,
            SlotSet("contact", EMAIL),
            ActionExecuted("action_answer_topic"),
            BotUttered(f"We never write to {EMAIL}.", metadata={"topic": "schedule"}),
        ],
    )
    asyncio.run(UrlSQLTrackerStore(rasa_domain, host=database_url).save(tracker))

    rows = _stored_rows(database_url)
    assert len(rows) == 5
    stored = "\n".join(str(value) for row in rows for value in row.values())
    assert [i for i in IDENTIFIERS if i in stored] == []
    assert "155 units every 12 weeks normal with 15 headache days" in stored
    user_data = json.loads(rows[1]["data"])
    assert user_data["text"].startswith("I'm [email], mobile [phone] or [phone], US [phone], ")
    assert user_data["parse_data"]["text"] == user_data["text"]
    assert user_data["parse_data"]["entities"][0]["value"] == "[email]"
    assert user_data["metadata"]["user"] == {"email": "[email]", "phone": "[phone]"}
    assert user.text == SAID  # the bot's own tracker keeps what was typed


def test_later_turns_are_appended_once_and_read_back_redacted(
    database_url: str, rasa_domain: Domain
) -> None:
    store = UrlSQLTrackerStore(rasa_domain, host=database_url)
    tracker = DialogueStateTracker.from_events(
        "patient-3", [ActionExecuted("action_listen"), UserUttered(f"hi, {EMAIL} here")]
    )
    asyncio.run(store.save(tracker))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(UserUttered("my number is +1 (555) 123-4567"))
    asyncio.run(store.save(tracker))

    assert len(_stored_rows(database_url)) == 4
    loaded = asyncio.run(store.retrieve("patient-3"))
    assert loaded is not None
    said = [e.text for e in loaded.events if isinstance(e, UserUttered)]
    assert said == ["hi, [email] here", "my number is [phone]"]
