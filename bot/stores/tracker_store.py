"""Rasa's SQL tracker store, configured by one SQLAlchemy URL (DATABASE_URL) like the rest, and
lighter per message than Rasa's: same table, same rows (docs/operations/performance.md)."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db import create_db_engine, pool_options, tune_sqlite
from bot.nlu.rasa_patches import cache_event_types
from bot.stores.redact import redact_event

logger = logging.getLogger(__name__)

# Seconds between attempts to reach the database at start-up (Rasa's own interval).
RETRY_SECONDS = 5.0
# Set on the trackers this store loads or creates: how many rows of the conversation's current
# session are stored, so that `save` knows which events are new without counting them again.
STORED_ROWS = "_faqbot_stored_rows"


@dataclass(frozen=True)
class RedactedEvent:
    """What SQLTrackerStore.save reads from an event (`type_name`, `as_dict()`), redacted."""

    type_name: str
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return self.data


class UrlSQLTrackerStore(SQLTrackerStore):
    """`type: bot.stores.tracker_store.UrlSQLTrackerStore` in endpoints.yml.

    Rasa passes the endpoint's `url:` as `host`; when given it overrides DATABASE_URL.
    Conversations are stored with personal identifiers redacted (bot.stores.redact); the bot itself,
    NLU included, still sees each message as it was typed.

    Rasa's table and rows, written and read with less work per message (profiled: the tracker store
    took 46% of the Rasa server's CPU):
    - `save` does not count the stored events of the session (Rasa's COUNT query) for a tracker
      this store loaded or created: the load already knew the number. Other trackers are counted.
    - the new events go in one multi-row INSERT on a plain connection (no ORM objects, no Session);
    - `retrieve` selects the `data` column only, in one query, on a plain connection.
    Every Rasa server and worker takes the conversation's lock before loading it and releases it
    after saving (bot.stores.lock_store), so nothing else writes to it in between.
    """

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        url = make_url(host or Settings.from_env().database_url)
        if url.get_backend_name() == "sqlite":
            create_db_engine(str(url)).dispose()  # creates the file's folder
        # Rasa's engine, plus a check of each pooled connection before use: after the database
        # restarts, the next turn gets a new connection instead of failing on a dead one.
        self.engine = tune_sqlite(
            sa.create_engine(
                url, pool_pre_ping=True, **create_engine_kwargs(url), **pool_options(url)
            )
        )
        self._create_table(url)
        self.sessionmaker = sessionmaker(bind=self.engine)
        # Built once (SQLAlchemy only caches their compiled form): the sender is a parameter.
        table = self.SQLEvent.__table__
        session = self._session_conditions(sa.bindparam("sender_id"))
        self._select_session = sa.select(table.c.data).where(*session).order_by(table.c.id)
        self._count_session = sa.select(sa.func.count()).select_from(table).where(*session)
        self._insert = table.insert()
        cache_event_types()  # loading a conversation resolves each event's class
        # Rasa's SQLTrackerStore.__init__ is replaced whole: its loop waiting for the database
        # logs the driver's multi-line error as a warning and has no pre-ping.
        TrackerStore.__init__(self, domain, event_broker, **kwargs)

    def _create_table(self, url: URL) -> None:
        """Creates Rasa's `events` table; while the database cannot be reached (not up yet, or
        down), logs one error line saying which and why, and tries again every RETRY_SECONDS."""
        shown = url.render_as_string(hide_password=True)
        while True:
            try:
                self.Base.metadata.create_all(self.engine)
                return
            except OperationalError as error:
                reason = str(error.orig or error).strip().splitlines()[0]
                logger.error(
                    "Database %s is unreachable (%s); retrying in %.0f s",
                    shown, reason, RETRY_SECONDS,
                )  # fmt: skip
                time.sleep(RETRY_SECONDS)
            except (IntegrityError, ProgrammingError) as error:
                # As Rasa does: servers started together race to create it, and one of them won.
                logger.warning(
                    "Could not create the events table (%s); going on, as another server "
                    "starting at the same time may have", str(error.orig or error).splitlines()[0]
                )  # fmt: skip
                return

    def _additional_events(
        self, session: Session, tracker: DialogueStateTracker
    ) -> Iterator[RedactedEvent]:
        """The events Rasa's `save` would write, redacted (kept for Rasa's code paths)."""
        for event in super()._additional_events(session, tracker):
            yield RedactedEvent(event.type_name, redact_event(event.as_dict()))

    def _session_conditions(self, sender_id: Any) -> list[Any]:
        """The rows of the conversation's latest session: Rasa's `_event_query` in SQL Core."""
        table = self.SQLEvent.__table__
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender_id)
            .where(table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        return [
            table.c.sender_id == sender_id,
            sa.or_(table.c.timestamp >= session_start, session_start.is_(None)),
        ]

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's latest session, as Rasa's `retrieve` returns it."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(self._select_session, {"sender_id": sender_id}).scalars().all()
            )
        if not self.domain or not rows:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(data) for data in rows], self.domain.slots
        )
        setattr(tracker, STORED_ROWS, len(rows))
        return tracker

    async def create_tracker(
        self, sender_id: str, append_action_listen: bool = True
    ) -> DialogueStateTracker:
        """Rasa's, for a conversation with no stored session (`get_or_create_tracker` calls it
        when `retrieve` found none)."""
        tracker = self.init_tracker(sender_id)
        setattr(tracker, STORED_ROWS, 0)
        if append_action_listen:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await self.save(tracker)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the tracker's events that are not stored yet, redacted; the rows are those
        Rasa's `save` writes."""
        await self.stream_events(tracker)
        stored: int | None = getattr(tracker, STORED_ROWS, None)
        with self.engine.begin() as connection:
            if stored is None:
                sender = {"sender_id": tracker.sender_id}
                stored = int(connection.execute(self._count_session, sender).scalar_one())
            new = itertools.islice(tracker.events, stored, len(tracker.events))
            rows = [_row(tracker.sender_id, event) for event in new]
            if rows:
                connection.execute(self._insert, rows)
        setattr(tracker, STORED_ROWS, stored + len(rows))
        logger.debug("Tracker with sender_id '%s' stored to database", tracker.sender_id)


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """The `events` row of an event, redacted: the values Rasa's SQLTrackerStore.save writes."""
    data = redact_event(event.as_dict())
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }
