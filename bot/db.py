"""SQLAlchemy models of the knowledge base and the unit-of-work helpers around them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, declarative_base, relationship, sessionmaker

Base: Any = declarative_base()  # typed Any: SQLAlchemy 1.4 ships no mypy-visible base


class SourceRow(Base):
    __tablename__ = "kb_sources"

    id = sa.Column(sa.String(64), primary_key=True)
    cite = sa.Column(sa.Text, nullable=False)
    url = sa.Column(sa.Text, nullable=True)


class TopicSourceRow(Base):
    __tablename__ = "kb_topic_sources"

    topic_id = sa.Column(sa.String(64), sa.ForeignKey("kb_topics.id"), primary_key=True)
    source_id = sa.Column(sa.String(64), sa.ForeignKey("kb_sources.id"), primary_key=True)
    position = sa.Column(sa.Integer, nullable=False)
    source = relationship(SourceRow)


class RelatedTopicRow(Base):
    __tablename__ = "kb_related_topics"

    topic_id = sa.Column(sa.String(64), sa.ForeignKey("kb_topics.id"), primary_key=True)
    related_id = sa.Column(sa.String(64), sa.ForeignKey("kb_topics.id"), primary_key=True)
    position = sa.Column(sa.Integer, nullable=False)
    related = relationship("TopicRow", foreign_keys=[related_id])


class TopicRow(Base):
    __tablename__ = "kb_topics"

    id = sa.Column(sa.String(64), primary_key=True)
    title = sa.Column(sa.Text, nullable=False)
    answer = sa.Column(sa.Text, nullable=False)
    sources = relationship(
        TopicSourceRow, order_by=TopicSourceRow.position, cascade="all, delete-orphan"
    )
    related = relationship(
        RelatedTopicRow,
        foreign_keys=[RelatedTopicRow.topic_id],
        order_by=RelatedTopicRow.position,
        cascade="all, delete-orphan",
    )


class EntrySourceRow(Base):
    __tablename__ = "kb_entry_sources"

    entry_id = sa.Column(sa.String(64), sa.ForeignKey("kb_entries.id"), primary_key=True)
    source_id = sa.Column(sa.String(64), sa.ForeignKey("kb_sources.id"), primary_key=True)
    position = sa.Column(sa.Integer, nullable=False)
    source = relationship(SourceRow)


class RelatedEntryRow(Base):
    __tablename__ = "kb_related_entries"

    entry_id = sa.Column(sa.String(64), sa.ForeignKey("kb_entries.id"), primary_key=True)
    related_id = sa.Column(sa.String(64), sa.ForeignKey("kb_entries.id"), primary_key=True)
    position = sa.Column(sa.Integer, nullable=False)
    related = relationship("EntryRow", foreign_keys=[related_id])


class EntryRow(Base):
    """One FAQ question and its answer; `id` is the NLU's `faq/<id>` (a contract)."""

    __tablename__ = "kb_entries"

    id = sa.Column(sa.String(64), primary_key=True)
    topic_id = sa.Column(sa.String(64), sa.ForeignKey("kb_topics.id"), nullable=False, index=True)
    question = sa.Column(sa.Text, nullable=False)
    answer = sa.Column(sa.Text, nullable=False)
    position = sa.Column(sa.Integer, nullable=False)
    sources = relationship(
        EntrySourceRow, order_by=EntrySourceRow.position, cascade="all, delete-orphan"
    )
    related = relationship(
        RelatedEntryRow,
        foreign_keys=[RelatedEntryRow.entry_id],
        order_by=RelatedEntryRow.position,
        cascade="all, delete-orphan",
    )


class KnowledgeVersionRow(Base):
    """One row: a digest of the knowledge base as last loaded. The action server keeps the
    knowledge base in memory and reads it again only when this changes (bot.content.service)."""

    __tablename__ = "kb_version"

    version = sa.Column(sa.String(64), primary_key=True)


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file's folder is created so a fresh checkout just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return tune_sqlite(sa.create_engine(url, pool_pre_ping=True, future=True, **pool_options(url)))


def pool_options(url: str | URL) -> dict[str, Any]:
    """`create_engine` options that keep a SQLite file's connections open in a pool.

    SQLAlchemy 1.4 gives SQLite files no pool: every use opened a connection, set it up (the
    pragmas below) and closed it again, and closing the last connection to a WAL database
    checkpoints it. Profiled, that was a fifth of the Rasa server's CPU time per message. A pool
    (SQLAlchemy 2.0's default for SQLite files) keeps them; connections are never used by two
    threads at once, so they may be used from another thread than the one that opened them."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return {}
    return {"poolclass": sa.pool.QueuePool, "connect_args": {"check_same_thread": False}}


def tune_sqlite(engine: Engine) -> Engine:
    """SQLite in write-ahead-log mode with normal syncing: readers (the action server) do not
    block the writer (Rasa), and a commit no longer waits for an fsync, which profiling showed
    blocking Rasa's event loop (README, "Performance"). Still durable across a crash of the bot;
    the last commits can be lost only if the machine itself loses power. Other databases: as is."""
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _on_connect(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def create_schema(engine: Engine) -> None:
    Base.metadata.create_all(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = sessionmaker(bind=engine, future=True)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
