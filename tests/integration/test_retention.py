"""`faqbot purge`: conversations idle for longer than the retention period are deleted whole."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Engine

from bot.ops.cli import main
from bot.ops.retention import PurgeResult, purge
from bot.stores.tracker_store import UrlSQLTrackerStore

NOW = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
DAY = 86_400.0
THIRTY_DAYS = timedelta(days=30)


Save = Callable[..., None]


@pytest.fixture
def save(rasa_domain: Domain) -> Save:
    def save(
        database_url: str, sender: str, *days_ago: float, now: float = NOW.timestamp()
    ) -> None:
        """A conversation with one question and answer `days_ago` days before `now`, per value."""
        events: list[Event] = []
        for days in days_ago:
            at = now - days * DAY
            events += [
                UserUttered("what is botox?", timestamp=at),
                BotUttered("It is", timestamp=at),
            ]
        tracker = DialogueStateTracker.from_events(sender, events)
        asyncio.run(UrlSQLTrackerStore(rasa_domain, host=database_url).save(tracker))

    return save


def _events_by_sender(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")
        ).all()
    return {sender: count for sender, count in rows}


@pytest.fixture
def conversations(database_url: str, engine: Engine, save: Save) -> Engine:
    save(database_url, "idle", 40, 35)
    save(database_url, "just-over", 30 + 1 / DAY)
    save(database_url, "just-under", 30 - 1 / DAY)
    save(database_url, "recent", 2)
    save(database_url, "old-but-active", 100, 60, 1)
    return engine


def test_conversations_whose_last_event_is_too_old_are_deleted(conversations: Engine) -> None:
    assert purge(conversations, THIRTY_DAYS, now=NOW) == PurgeResult(conversations=2, events=6)
    assert _events_by_sender(conversations) == {
        "just-under": 2,
        "recent": 2,
        "old-but-active": 6,  # its old events stay with it
    }
    assert purge(conversations, THIRTY_DAYS, now=NOW) == PurgeResult(0, 0)


def test_a_dry_run_counts_and_deletes_nothing(conversations: Engine) -> None:
    before = _events_by_sender(conversations)
    assert purge(conversations, THIRTY_DAYS, now=NOW, dry_run=True) == PurgeResult(2, 6)
    assert _events_by_sender(conversations) == before


def test_a_database_without_conversations_has_nothing_to_purge(engine: Engine) -> None:
    assert purge(engine, THIRTY_DAYS) == PurgeResult(0, 0)


def test_the_command_purges_the_database_url_database(
    database_url: str,
    engine: Engine,
    save: Save,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    save(database_url, "idle", 45, now=time.time())
    save(database_url, "recent", 3, now=time.time())
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["purge", "--older-than", "30", "--dry-run"]) == 0
    assert "would delete (dry run) conversations: 1, events: 2" in capsys.readouterr().out
    assert set(_events_by_sender(engine)) == {"idle", "recent"}

    assert main(["purge", "--older-than", "30"]) == 0
    assert "purge: deleted conversations: 1, events: 2" in capsys.readouterr().out
    assert set(_events_by_sender(engine)) == {"recent"}
