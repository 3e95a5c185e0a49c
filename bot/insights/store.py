"""The tables the insights add beside Rasa's `events`: feedback votes, review labels, and
`insights_turns`, a compact index of the conversations (bot/insights/index.py).

Both live in DATABASE_URL and are reached through SQLAlchemy Core, SQLite and PostgreSQL alike.
Text in them is redacted (bot.stores.redact) before it is written, as in the tracker store.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from bot.nlu.data import normalise
from bot.stores.redact import redact

metadata = sa.MetaData()
CREATE_ATTEMPTS = 5
_CREATING = threading.Lock()

VOTES = ("up", "down")

# One vote per answer: per conversation (sender) and FAQ entry. A second click replaces the first.
feedback = sa.Table(
    "insights_feedback",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("faq_entry", sa.String(64), primary_key=True),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("vote", sa.String(4), nullable=False),
    # The question that got the answer (redacted), for the review queue; None for a button click.
    sa.Column("question", sa.Text, nullable=True),
    sa.Column("timestamp", sa.Float, nullable=False, index=True),
)

# One label per message text (normalised): labelled once, it never comes back to the queue.
review_labels = sa.Table(
    "insights_review_labels",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    # Redacted; emptied by `faqbot purge` after the retention period (the key stays).
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("label", sa.String(80), nullable=False),
    sa.Column("timestamp", sa.Float, nullable=False, index=True),
)


# One row per message from a person, with the bot's first reply to it: built from `events` by
# bot/insights/index.py, so the figures need not parse each event's JSON again on every load.
turns = sa.Table(
    "insights_turns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # the user event's id
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Column("day", sa.Integer, nullable=False),  # whole days since 1970-01-01 (UTC)
    sa.Column("text", sa.Text, nullable=False),  # redacted
    sa.Column("intent", sa.String(255), nullable=True),
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("guess", sa.String(255), nullable=True),
    sa.Column("topic", sa.String(64), nullable=True),
    sa.Column("faq", sa.String(64), nullable=True),
    sa.Column("replied_at", sa.Float, nullable=True),
    # answered, clarified, out_of_scope, refused, emergency or other (bot.insights.figures)
    sa.Column("outcome", sa.String(16), nullable=False, default="other"),
    # Covers every figure but the texts: a period's figures are read from the index alone.
    sa.Index(
        "ix_insights_turns_period",
        "timestamp", "day", "sender_id", "outcome", "topic", "faq", "replied_at",
    ),
    sa.Index("ix_insights_turns_outcome", "outcome", "timestamp"),
)  # fmt: skip

# How far into `events` the index has read (the highest event id it will not read again).
index_state = sa.Table(
    "insights_index_state",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)


def ensure_tables(engine: Engine) -> None:
    """Creates the tables if missing. Servers or threads starting together race (the indexer
    thread and the first page load both create them): the loser of a race tries again, so that
    no caller goes on before every table exists. SQLite reports "table already exists" as an
    OperationalError, PostgreSQL as an IntegrityError or a ProgrammingError."""
    with _CREATING:  # threads of one process take turns; other processes may still race
        for attempt in range(CREATE_ATTEMPTS):
            try:
                metadata.create_all(engine)
                return
            except (IntegrityError, OperationalError, ProgrammingError):
                if attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))


def text_key(text: str) -> str:
    """The key a message is labelled under: its normalised text, hashed."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Vote:
    sender_id: str
    faq_entry: str
    topic: str
    vote: str
    question: str | None = None


def record_vote(engine: Engine, vote: Vote, now: float | None = None) -> None:
    """Stores `vote`, replacing an earlier vote on the same answer."""
    if vote.vote not in VOTES:
        raise ValueError(f"vote must be one of {VOTES}, not {vote.vote!r}")
    ensure_tables(engine)
    values = {
        "topic": vote.topic,
        "vote": vote.vote,
        "question": redact(vote.question) if vote.question else None,
        "timestamp": time.time() if now is None else now,
    }
    key = (feedback.c.sender_id == vote.sender_id) & (feedback.c.faq_entry == vote.faq_entry)
    for _ in range(2):  # a concurrent first click may insert between our update and insert
        try:
            with engine.begin() as connection:
                if not connection.execute(feedback.update().where(key).values(**values)).rowcount:
                    connection.execute(
                        feedback.insert().values(
                            sender_id=vote.sender_id, faq_entry=vote.faq_entry, **values
                        )
                    )
            return
        except IntegrityError:
            continue


def labelled_keys(connection: Connection) -> set[str]:
    return set(connection.execute(sa.select(review_labels.c.key)).scalars())


def save_label(connection: Connection, text: str, label: str, now: float | None = None) -> bool:
    """Records `label` for `text` (redacted); False when that text was already labelled."""
    key = text_key(text)
    if connection.execute(sa.select(review_labels.c.key).where(review_labels.c.key == key)).first():
        return False
    connection.execute(
        review_labels.insert().values(
            key=key, text=redact(text), label=label, timestamp=time.time() if now is None else now
        )
    )
    return True
