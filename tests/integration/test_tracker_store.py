"""Conversations persist in Rasa's SQL tracker store at DATABASE_URL (SQLite and PostgreSQL),
with personal identifiers redacted."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.db import create_db_engine
from bot.stores.tracker_store import UrlSQLTrackerStore


def test_a_saved_conversation_is_read_back_by_a_new_store(
    database_url: str, rasa_domain: Domain
) -> None:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("what is botox?", {"name": "what_is_botox", "confidence": 0.9}),
        ActionExecuted("action_answer_faq"),
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


def _identifiers_in(stored: str) -> list[str]:
    """The identifiers found as whole numbers: '5919' inside a timestamp such as
    1764765919.2 is not a leak (CI once failed on exactly that)."""
    return [i for i in IDENTIFIERS if re.search(rf"(?<![\d.]){re.escape(i)}(?![\d])", stored)]


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
            ActionExecuted("action_answer_faq"),
            BotUttered(f"We never write to {EMAIL}.", metadata={"topic": "schedule"}),
        ],
    )
    asyncio.run(UrlSQLTrackerStore(rasa_domain, host=database_url).save(tracker))

    rows = _stored_rows(database_url)
    assert len(rows) == 5
    stored = "\n".join(str(value) for row in rows for value in row.values())
    assert _identifiers_in(stored) == []
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


class RasaSavingStore(UrlSQLTrackerStore):
    """The store as it was: Rasa's own `save`, `retrieve` and `create_tracker` (a COUNT per save,
    one ORM object per event), with the same redaction."""

    save = SQLTrackerStore.save
    retrieve = SQLTrackerStore.retrieve
    create_tracker = TrackerStore.create_tracker


def _turn(number: int, text: str, at: float) -> list[Any]:
    parse_data = {
        "text": text,
        "intent": {"name": "faq", "confidence": 0.9},
        "entities": [],
        "response_selector": {"faq": {"response": {"intent_response_key": f"faq/entry_{number}"}}},
    }
    return [
        UserUttered(text, parse_data["intent"], parse_data=parse_data, timestamp=at),
        ActionExecuted("action_answer_faq", policy="RulePolicy", confidence=1, timestamp=at + 0.1),
        BotUttered(f"Answer {number}, call 0800 123 4567", {"buttons": []}, {"topic": "cost"},
                   timestamp=at + 0.2),
        ActionExecuted("action_listen", timestamp=at + 0.3),
    ]  # fmt: skip


CONVERSATION = [
    "hello",
    f"I'm {EMAIL}, how much does it cost?",
    "how often are the injections",
    "/side_effects",  # a new session starts before this one
    "my number is +1 (555) 123-4567",
]


def _converse(store: UrlSQLTrackerStore, sender: str) -> list[int]:
    """A conversation as Rasa's processor has it: each turn loads the session (or creates it),
    adds the turn's events and saves; a new session starts before the fourth turn. The number
    of events each load returned."""

    async def run() -> list[int]:
        loaded = []
        for number, text in enumerate(CONVERSATION):
            tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
            loaded.append(len(tracker.events))
            at = 1_700_000_000.0 + 10 * number
            if number in (0, 3):
                tracker.update(ActionExecuted("action_session_start", timestamp=at - 1))
                tracker.update(SessionStarted(timestamp=at - 0.9))
                tracker.update(ActionExecuted("action_listen", timestamp=at - 0.8))
            for event in _turn(number, text, at):
                tracker.update(event)
            await store.save(tracker)
        return loaded

    return asyncio.run(run())


def _rows_without_ids(database_url: str, sender: str) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in row.items() if key not in ("id", "sender_id")}
        for row in _stored_rows(database_url)
        if row["sender_id"] == sender
    ]


def test_the_stored_rows_are_those_rasas_own_save_writes(
    database_url: str, rasa_domain: Domain
) -> None:
    """Same rows, same order, with a new session half-way; each load returns the same events."""
    loaded = _converse(UrlSQLTrackerStore(rasa_domain, host=database_url), "light")
    loaded_by_rasa = _converse(RasaSavingStore(rasa_domain, host=database_url), "rasa")

    assert loaded == loaded_by_rasa == [0, 6, 10, 14, 6]  # from the latest SessionStarted
    ours = _rows_without_ids(database_url, "light")
    assert ours == _rows_without_ids(database_url, "rasa")
    assert len(ours) == 3 + 4 * 5 + 3
    stored = json.dumps(ours)
    assert EMAIL not in stored and "123-4567" not in stored and "[email]" in stored


def test_sqlite_and_postgresql_store_the_same_rows(
    sqlite_url: str, postgres_url: str, rasa_domain: Domain
) -> None:
    for url in (sqlite_url, postgres_url):
        _converse(UrlSQLTrackerStore(rasa_domain, host=url), "same")
    assert _rows_without_ids(sqlite_url, "same") == _rows_without_ids(postgres_url, "same")


def test_a_tracker_the_store_did_not_load_is_saved_after_counting(
    database_url: str, rasa_domain: Domain
) -> None:
    """A tracker built elsewhere (e.g. Rasa's HTTP API) holds events already stored: only the
    others are written."""
    store = UrlSQLTrackerStore(rasa_domain, host=database_url)
    events = [ActionExecuted("action_listen"), UserUttered("hi")]
    asyncio.run(store.save(DialogueStateTracker.from_events("patient-4", events)))
    more = [*events, ActionExecuted("utter_greet"), ActionExecuted("action_listen")]
    asyncio.run(store.save(DialogueStateTracker.from_events("patient-4", more)))
    assert [row["type_name"] for row in _stored_rows(database_url)] == [
        "action", "user", "action", "action"
    ]  # fmt: skip
