"""What the actions call: one function per answer, with the database behind it."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.content.answers import (
    UNAVAILABLE,
    Reply,
    compose_entry_answer,
    faq_button,
)
from bot.content.fallback import clarify_candidates, decide
from bot.content.knowledge import StoredKnowledge, read_stored, stored_version
from bot.db import create_db_engine

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per database URL, created on first use."""
    return create_db_engine(url)


class KnowledgeCache:
    """The stored FAQ entries, kept in memory. Each use reads the version stored with them (one
    small query) and reads them whole again only when `faqbot load` changed it: an edit shows
    from the next message on, without a restart. Profiled, reading an entry through the ORM for
    every answer took two thirds of the action server's CPU (docs/operations/performance.md)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._stored: StoredKnowledge | None = None

    def current(self) -> StoredKnowledge:
        """The stored knowledge base as it is now; raises SQLAlchemyError when unreachable."""
        try:
            version = stored_version(self.engine)
        except SQLAlchemyError:
            # No version table: loaded before versions were stored, so read whole each time (a
            # database that cannot be reached fails the read below too).
            version = None
        stored = self._stored
        if version is None or stored is None or stored.version != version:
            stored = self._stored = read_stored(self.engine, version)
        return stored


@lru_cache(maxsize=4)
def knowledge_for(url: str) -> KnowledgeCache:
    """One cache per database URL."""
    return KnowledgeCache(engine_for(url))


def stored_knowledge(database_url: str | None = None) -> StoredKnowledge | None:
    """The knowledge base at `database_url` (default DATABASE_URL), or None (logged) when the
    database cannot be reached."""
    url = database_url or Settings.from_env().database_url
    try:
        return knowledge_for(url).current()
    except SQLAlchemyError as error:
        logger.error("knowledge base unreachable: %s", type(error).__name__)
        return None


def answer_entry(entry_id: str, disclaimer: str, database_url: str | None = None) -> Reply:
    """The composed answer for the FAQ entry `entry_id`, or an honest apology."""
    stored = stored_knowledge(database_url)
    return UNAVAILABLE if stored is None else _answer(stored, entry_id, disclaimer)


def _answer(stored: StoredKnowledge, entry_id: str, disclaimer: str) -> Reply:
    entry = stored.entries.get(entry_id)
    if entry is None:
        logger.error("FAQ entry %r is not in the knowledge base; run `faqbot load`", entry_id)
        return UNAVAILABLE
    return compose_entry_answer(entry, disclaimer)


def clarify(ranking: list[dict[str, Any]], database_url: str | None = None) -> Reply | None:
    """ "Did you mean ...?" with the two closest FAQ entries (`ranking`: the entry selector's,
    names are entry ids), or None for the out-of-scope reply."""
    stored = stored_knowledge(database_url)
    if stored is None:
        return None
    questions = stored.questions()
    candidates = clarify_candidates(ranking, questions)
    return _did_you_mean(candidates, questions) if candidates else None


def choose(
    ranking: list[dict[str, Any]], disclaimer: str, database_url: str | None = None
) -> Reply | None:
    """The answer to the selector's best entry when it is sure, "Did you mean" two entries when
    it is split, or None for the out-of-scope reply."""
    stored = stored_knowledge(database_url)
    if stored is None:
        return UNAVAILABLE
    questions = stored.questions()
    decision = decide(ranking, questions)
    if decision.kind == "answer":
        return _answer(stored, decision.entries[0], disclaimer)
    if decision.kind == "clarify":
        return _did_you_mean(decision.entries, questions)
    return None


def _did_you_mean(entries: tuple[str, ...] | list[str], questions: dict[str, str]) -> Reply:
    return Reply(
        text="I'm not sure which of these you mean. Did you mean:",
        topic="clarify",
        buttons=[faq_button(entry, questions[entry]) for entry in entries],
    )
