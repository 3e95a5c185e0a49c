"""Rasa's SQL tracker store, configured by one SQLAlchemy URL (DATABASE_URL) like the rest."""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.db import create_db_engine


class UrlSQLTrackerStore(SQLTrackerStore):
    """`type: bot.tracker_store.UrlSQLTrackerStore` in endpoints.yml.

    Rasa passes the endpoint's `url:` as `host`; when given it overrides DATABASE_URL.
    """

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        parsed = make_url(host or Settings.from_env().database_url)
        if parsed.get_backend_name() == "sqlite":
            create_db_engine(str(parsed)).dispose()  # creates the file's folder
        super().__init__(
            domain=domain,
            dialect=parsed.drivername,
            host=parsed.host,
            port=parsed.port,
            db=parsed.database or "",
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=dict(parsed.query),
            **kwargs,
        )
