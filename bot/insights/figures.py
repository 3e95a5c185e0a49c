"""The insights figures, read from Rasa's `events` table (the tracker store) through SQLAlchemy.

Each person's message is paired with the bot's first reply after it in the same conversation
(bot/insights/index.py, which keeps a compact index of `events` up to date); the reply's metadata
says what happened: an FAQ answer (`faq`: its entry, `topic`), a "Did you mean" (`clarify`), the
out-of-scope reply, a declined request for personal advice, or an urgent reply. Texts are stored
redacted already (bot/stores/tracker_store.py) and are redacted again before they leave, in case
a row was written by another tracker store.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.insights.index import DAY, refresh
from bot.insights.store import feedback, turns
from bot.nlu.data import normalise
from bot.stores.redact import redact

# Below this intent confidence a message goes to the review queue even if it was answered.
LOW_CONFIDENCE = 0.5
TOP_UNANSWERED = 10
OUTCOMES = ("answered", "clarified", "out_of_scope", "refused", "emergency", "other")
UNANSWERED_OUTCOMES = ("out_of_scope", "clarified")


@dataclass
class Turn:
    """One message from a person and what the bot did with it."""

    sender_id: str
    timestamp: float
    text: str
    intent: str | None
    confidence: float | None
    guess: str | None
    topic: str | None = None
    faq: str | None = None
    replied_at: float | None = None
    outcome: str = "other"

    @property
    def is_payload(self) -> bool:
        """A button click (`/faq{...}`): not words anyone typed."""
        return self.text.startswith("/")


def read_turns(connection: Connection, start: float, end: float, *where: Any) -> list[Turn]:
    """Every message in [start, end) with the bot's first reply to it, in order (from the index
    bot/insights/index.py keeps; call `refresh` first)."""
    rows = connection.execute(
        sa.select(
            turns.c.sender_id, turns.c.timestamp, turns.c.text, turns.c.intent,
            turns.c.confidence, turns.c.guess, turns.c.topic, turns.c.faq, turns.c.replied_at,
            turns.c.outcome,
        )
        .where(*where, turns.c.timestamp >= start, turns.c.timestamp < end)
        .order_by(turns.c.id)
    ).all()  # fmt: skip
    return [Turn(*row) for row in rows]


@dataclass
class Figures:
    """Everything the insights page and `faqbot report` show for one period."""

    start: float
    end: float
    conversations: int = 0
    messages: int = 0
    per_day: list[dict[str, Any]] = field(default_factory=list)
    per_topic: dict[str, int] = field(default_factory=dict)
    per_entry: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    feedback_up: int = 0
    feedback_down: int = 0
    feedback_per_entry: dict[str, dict[str, int]] = field(default_factory=dict)
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    unanswered: list[dict[str, Any]] = field(default_factory=list)
    load_seconds: float = 0.0

    def rate(self, outcome: str) -> float:
        return round(self.outcomes.get(outcome, 0) / self.messages, 4) if self.messages else 0.0

    def report(self) -> dict[str, Any]:
        """`faqbot report --json`: exactly the keys of the monthly report."""
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "per_topic": self.per_topic,
            "per_entry": self.per_entry,
            "answered_rate": self.rate("answered"),
            "out_of_scope_rate": self.rate("out_of_scope"),
            "clarify_rate": self.rate("clarified"),
            "emergencies": self.outcomes.get("emergency", 0),
            "feedback": {"up": self.feedback_up, "down": self.feedback_down},
            "unanswered": self.unanswered,
        }

    def page(self) -> dict[str, Any]:
        """What the insights page draws: the report and the rest."""
        return {
            **self.report(),
            "start": self.start,
            "end": self.end,
            "per_day": self.per_day,
            "outcomes": {name: self.outcomes.get(name, 0) for name in OUTCOMES},
            "rates": {name: self.rate(name) for name in OUTCOMES},
            "feedback_per_entry": self.feedback_per_entry,
            "latency_ms": self.latency_ms,
            "load_seconds": round(self.load_seconds, 3),
        }


def period(days: int, now: float | None = None) -> tuple[float, float]:
    """The last `days` days up to `now`."""
    end = time.time() if now is None else now
    return end - days * DAY, end


def _day(number: int) -> str:
    return datetime.fromtimestamp(number * DAY, timezone.utc).strftime("%Y-%m-%d")


def top_unanswered(
    connection: Connection, start: float, end: float, limit: int = TOP_UNANSWERED
) -> list[dict[str, Any]]:
    """The most frequent messages that got the out-of-scope reply or a "Did you mean", redacted;
    texts that differ only in case or punctuation are counted together."""
    rows = connection.execute(
        sa.select(turns.c.text, sa.func.count())
        .where(
            turns.c.timestamp >= start, turns.c.timestamp < end,
            turns.c.outcome.in_(UNANSWERED_OUTCOMES), ~turns.c.text.startswith("/"),
        )
        .group_by(turns.c.text)
    ).all()  # fmt: skip
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for text, count in rows:
        key = normalise(text)
        if key:
            counts[key] += int(count)
            shown.setdefault(key, text)
    return [
        {"text": redact(shown[key]), "count": count} for key, count in counts.most_common(limit)
    ]


def _percentile(ordered: list[float], fraction: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def compute(engine: Engine, start: float, end: float) -> Figures:
    """The figures for [start, end): counted by the database, from the index of `events`."""
    began = time.perf_counter()
    refresh(engine)
    in_period = (turns.c.timestamp >= start) & (turns.c.timestamp < end)
    figures = Figures(start=start, end=end)
    with engine.connect() as connection:
        # One pass for the counts by day, outcome, topic and entry...
        counted = connection.execute(
            sa.select(turns.c.day, turns.c.outcome, turns.c.topic, turns.c.faq, sa.func.count())
            .where(in_period)
            .group_by(turns.c.day, turns.c.outcome, turns.c.topic, turns.c.faq)
        ).all()
        # ... one for the conversations (per day, and in all: -1) ...
        senders = sa.func.count(sa.distinct(turns.c.sender_id))
        conversations = dict(
            connection.execute(
                sa.union_all(
                    sa.select(turns.c.day, senders).where(in_period).group_by(turns.c.day),
                    sa.select(sa.literal(-1), senders).where(in_period),
                )
            ).all()
        )
        # ... and one for the reply times.
        latencies = sorted(
            connection.execute(
                sa.select((turns.c.replied_at - turns.c.timestamp) * 1000).where(
                    in_period, turns.c.replied_at.isnot(None)
                )
            ).scalars()
        )
        figures.unanswered = top_unanswered(connection, start, end)
        votes = connection.execute(
            sa.select(feedback.c.faq_entry, feedback.c.vote, sa.func.count())
            .where(feedback.c.timestamp >= start, feedback.c.timestamp < end)
            .group_by(feedback.c.faq_entry, feedback.c.vote)
        ).all()
    per_vote: dict[str, dict[str, int]] = defaultdict(lambda: {"up": 0, "down": 0})
    for entry, vote, count in votes:
        per_vote[entry][vote] = int(count)
    figures.feedback_per_entry = dict(sorted(per_vote.items()))
    figures.feedback_up = sum(v["up"] for v in per_vote.values())
    figures.feedback_down = sum(v["down"] for v in per_vote.values())
    daily: Counter[int] = Counter()
    outcomes: Counter[str] = Counter()
    per_topic: Counter[str] = Counter()
    per_entry: Counter[str] = Counter()
    for day, outcome, topic, faq, count in counted:
        daily[day] += count
        outcomes[outcome] += count
        if outcome == "answered":
            per_topic[str(topic)] += count
            per_entry[str(faq)] += count
    figures.messages = sum(daily.values())
    figures.conversations = int(conversations.get(-1) or 0)
    figures.per_day = [
        {"day": _day(day), "messages": daily[day], "conversations": int(conversations.get(day, 0))}
        for day in sorted(daily)
    ]
    figures.outcomes = dict(outcomes)
    figures.per_topic = dict(sorted(per_topic.items(), key=lambda item: (-item[1], item[0])))
    figures.per_entry = dict(sorted(per_entry.items(), key=lambda item: (-item[1], item[0])))
    figures.latency_ms = {
        "median": _percentile(latencies, 0.5) if latencies else None,
        "p95": _percentile(latencies, 0.95) if latencies else None,
    }
    figures.load_seconds = time.perf_counter() - began
    return figures
