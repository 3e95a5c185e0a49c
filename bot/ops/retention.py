"""Deletes conversations nobody has added to for a while, so health chats are not kept forever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# Rasa's SQLTrackerStore table; only the columns the purge needs.
EVENTS = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    events: int


def purge(
    engine: Engine, older_than: timedelta, *, now: datetime | None = None, dry_run: bool = False
) -> PurgeResult:
    """Deletes every event of each conversation (sender) whose last event is older than
    `older_than`; a conversation still in use keeps its old events too. `dry_run` only counts."""
    if not sa.inspect(engine).has_table("events"):  # no conversation yet
        return PurgeResult(0, 0)
    cutoff = (now or datetime.now(timezone.utc)).timestamp() - older_than.total_seconds()
    stale = (
        sa.select(EVENTS.c.sender_id)
        .group_by(EVENTS.c.sender_id)
        .having(sa.func.max(EVENTS.c.timestamp) < cutoff)
        .scalar_subquery()
    )
    in_stale = EVENTS.c.sender_id.in_(stale)
    with engine.begin() as connection:
        conversations, events = connection.execute(
            sa.select(sa.func.count(sa.distinct(EVENTS.c.sender_id)), sa.func.count())
            .select_from(EVENTS)
            .where(in_stale)
        ).one()
        if not dry_run:
            # The condition is checked again as rows are deleted: a conversation that got a new
            # message since the count is kept.
            events = connection.execute(sa.delete(EVENTS).where(in_stale)).rowcount
    return PurgeResult(conversations, events)
