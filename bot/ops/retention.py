"""Deletes conversations nobody has added to for a while, so health chats are not kept forever.

The insights' own rows go with them (bot/insights/store.py): the index of a deleted conversation's
messages, its feedback votes and any vote older than the cut-off, and the text of review labels
older than the cut-off (the label's key stays, so a labelled message still never comes back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.insights.store import ensure_tables, feedback, review_labels, turns

# Rasa's SQLTrackerStore table; only the columns the purge needs.
EVENTS = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    events: int
    feedback: int = 0
    labels: int = 0


def purge(
    engine: Engine, older_than: timedelta, *, now: datetime | None = None, dry_run: bool = False
) -> PurgeResult:
    """Deletes every event of each conversation (sender) whose last event is older than
    `older_than`; a conversation still in use keeps its old events too. `dry_run` only counts."""
    cutoff = (now or datetime.now(timezone.utc)).timestamp() - older_than.total_seconds()
    ensure_tables(engine)
    insights = _purge_insights(engine, cutoff, dry_run)
    if not sa.inspect(engine).has_table("events"):  # no conversation yet
        return PurgeResult(0, 0, *insights)
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
    return PurgeResult(conversations, events, *insights)


def _purge_insights(engine: Engine, cutoff: float, dry_run: bool) -> tuple[int, int]:
    """Votes older than the cut-off or of a conversation gone from `events`; the text of labels
    older than the cut-off. Returns how many of each."""
    has_events = sa.inspect(engine).has_table("events")
    old_vote = feedback.c.timestamp < cutoff
    if has_events:
        # A conversation is stale when its last event is older than the cut-off, or gone already.
        live = (
            sa.select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(sa.func.max(EVENTS.c.timestamp) >= cutoff)
        )
        old_vote = old_vote | feedback.c.sender_id.not_in(live.scalar_subquery())
    old_turn = turns.c.timestamp < cutoff
    if has_events:
        old_turn = old_turn | turns.c.sender_id.not_in(live.scalar_subquery())
    old_label = (review_labels.c.timestamp < cutoff) & review_labels.c.text.isnot(None)
    with engine.begin() as connection:
        votes = connection.execute(
            sa.select(sa.func.count()).select_from(feedback).where(old_vote)
        ).scalar_one()
        labels = connection.execute(
            sa.select(sa.func.count()).select_from(review_labels).where(old_label)
        ).scalar_one()
        if not dry_run:
            connection.execute(sa.delete(turns).where(old_turn))
            votes = connection.execute(sa.delete(feedback).where(old_vote)).rowcount
            labels = connection.execute(
                sa.update(review_labels).where(old_label).values(text=None)
            ).rowcount
    return int(votes), int(labels)
