"""Keeps `insights_turns` up to date with Rasa's `events` table (the tracker store).

Each event's JSON is read once: the figures then read compact rows, so a month of 100,000
messages loads in well under 2 s instead of parsing some 150 MB of JSON on every page load.
`refresh` reads the events written since the last call (by id), pairs each message from a person
with the bot's first reply to it (its `topic` and `faq` metadata), and stores the pair, text
redacted. Only the fields needed are taken out of the JSON, by the database itself (SQLite's
`json_extract`, PostgreSQL's `jsonb_extract_path_text`).

Events of the last LAG_SECONDS are read again on the next call, so an event whose transaction
commits late (ids are handed out before commit) is never missed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.insights.feedback import FEEDBACK_INTENT
from bot.insights.store import ensure_tables, index_state, turns
from bot.stores.redact import redact

DAY = 86_400.0
LAG_SECONDS = 60.0
EMERGENCY_TOPICS = {"emergency", "crisis", "urgent_unconfirmed"}
CHUNK = 20_000
WATERMARK = "events_id"

# Rasa's SQLTrackerStore table; only the columns read here.
EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("data", sa.Text),
)

_LOCK = threading.Lock()


def _json_fields(connection: Connection, kind: str, *paths: tuple[str, ...]) -> list[Any]:
    """Expressions reading `paths` out of `data` for events of type `kind` (NULL for others)."""
    if connection.dialect.name == "postgresql":
        document = sa.cast(EVENTS.c.data, JSONB)
        values = [sa.func.jsonb_extract_path_text(document, *path) for path in paths]
    else:
        values = [sa.func.json_extract(EVENTS.c.data, "$." + ".".join(path)) for path in paths]
    return [sa.case((EVENTS.c.type_name == kind, value), else_=sa.null()) for value in values]


def outcome_of(topic: str | None, faq: str | None) -> str:
    """What the bot did with a message, from its reply's metadata."""
    if faq:
        return "answered"
    if topic == "clarify":
        return "clarified"
    if topic == "out_of_scope":
        return "out_of_scope"
    if topic == "personal_advice":
        return "refused"
    if topic in EMERGENCY_TOPICS:
        return "emergency"
    return "other"


def _watermark(connection: Connection) -> int:
    value = connection.execute(
        sa.select(index_state.c.value).where(index_state.c.name == WATERMARK)
    ).scalar()
    return int(value or 0)


def _set_watermark(connection: Connection, value: int) -> None:
    if not connection.execute(
        index_state.update().where(index_state.c.name == WATERMARK).values(value=value)
    ).rowcount:
        connection.execute(index_state.insert().values(name=WATERMARK, value=value))


def refresh(engine: Engine, now: float | None = None) -> int:
    """Indexes the events written since the last call; returns how many messages it stored."""
    ensure_tables(engine)
    with _LOCK:
        try:
            with engine.begin() as connection:
                if not sa.inspect(connection).has_table("events"):
                    return 0
                return _refresh(connection, time.time() if now is None else now)
        except (IntegrityError, OperationalError):
            # Another process refreshed at the same time (or SQLite was busy): its rows stand.
            return 0


def _refresh(connection: Connection, now: float) -> int:
    start = _watermark(connection)
    connection.execute(turns.delete().where(turns.c.id > start))
    text, confidence, guess = _json_fields(
        connection, "user",
        ("text",),
        ("parse_data", "intent", "confidence"),
        ("parse_data", "response_selector", "faq", "response", "intent_response_key"),
    )  # fmt: skip
    # An action's message has its topic in `metadata`; a domain response's, one level down.
    topic, faq, response_topic = _json_fields(
        connection,
        "bot",
        ("metadata", "topic"),
        ("metadata", "faq"),
        ("metadata", "metadata", "topic"),
    )
    settled_before = now - LAG_SECONDS
    watermark, settled = start, True
    pending: dict[str, dict[str, Any] | None] = {}
    orphans: dict[str, tuple[int, float, Any, Any]] = {}
    collected: list[dict[str, Any]] = []
    last_id = start
    while True:
        rows = connection.execute(
            sa.select(
                EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp,
                EVENTS.c.intent_name, text, confidence, guess, topic, faq, response_topic,
            )
            .where(EVENTS.c.id > last_id, EVENTS.c.type_name.in_(("user", "bot")))
            .order_by(EVENTS.c.id)
            .limit(CHUNK)
        ).all()  # fmt: skip
        if not rows:
            break
        for row in rows:
            last_id = row.id
            timestamp = float(row.timestamp or 0.0)
            settled = settled and timestamp < settled_before
            if settled:
                watermark = row.id
            sender = row.sender_id
            if row.type_name == "user":
                if row.intent_name == FEEDBACK_INTENT:
                    pending[sender] = None  # the thanks that follows answers no question
                    continue
                selected = str(row[7]) if row[7] else None
                turn = {
                    "id": row.id,
                    "sender_id": sender,
                    "timestamp": timestamp,
                    "day": int(timestamp // DAY),
                    "text": redact(str(row[5] or "")),
                    "intent": row.intent_name,
                    "confidence": float(row[6]) if row[6] is not None else None,
                    "guess": selected.split("/", 1)[-1] if selected else row.intent_name,
                    "topic": None,
                    "faq": None,
                    "replied_at": None,
                    "outcome": "other",
                }
                pending[sender] = turn
                collected.append(turn)
            elif sender in pending:
                waiting = pending[sender]
                if waiting is not None:
                    topic_of = row[8] or row[10]
                    waiting.update(
                        topic=topic_of,
                        faq=row[9],
                        replied_at=timestamp,
                        outcome=outcome_of(topic_of, row[9]),
                    )
                pending[sender] = None
            elif sender not in orphans:
                orphans[sender] = (row.id, timestamp, row[8] or row[10], row[9])
    # Written at the end: a message's reply may be in the next chunk.
    _write(connection, collected)
    _answer_orphans(connection, orphans)
    _set_watermark(connection, watermark)
    return len(collected)


def _write(connection: Connection, rows: list[dict[str, Any]]) -> None:
    for begin in range(0, len(rows), CHUNK):
        connection.execute(turns.insert(), rows[begin : begin + CHUNK])


def _answer_orphans(
    connection: Connection, orphans: dict[str, tuple[int, float, Any, Any]]
) -> None:
    """Replies read this time to messages indexed last time (just before the watermark)."""
    for sender, (event_id, timestamp, topic, faq) in orphans.items():
        latest = connection.execute(
            sa.select(turns.c.id, turns.c.replied_at)
            .where(turns.c.sender_id == sender, turns.c.id < event_id)
            .order_by(turns.c.id.desc())
            .limit(1)
        ).first()
        if latest is not None and latest.replied_at is None:
            connection.execute(
                turns.update()
                .where(turns.c.id == latest.id)
                .values(topic=topic, faq=faq, replied_at=timestamp, outcome=outcome_of(topic, faq))
            )
