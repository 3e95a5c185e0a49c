"""Rasa's SQL tracker store, configured by one SQLAlchemy URL (DATABASE_URL) like the rest."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db import create_db_engine, tune_sqlite
from bot.stores.redact import redact_event

logger = logging.getLogger(__name__)

# Seconds between attempts to reach the database at start-up (Rasa's own interval).
RETRY_SECONDS = 5.0


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
            sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        )
        self._create_table(url)
        self.sessionmaker = sessionmaker(bind=self.engine)
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
        """The events `save` is about to write, redacted: it serialises exactly these."""
        for event in super()._additional_events(session, tracker):
            yield RedactedEvent(event.type_name, redact_event(event.as_dict()))
