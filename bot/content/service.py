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
from bot.content.knowledge import entry_questions, fetch_entry
from bot.db import create_db_engine

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per database URL, created on first use."""
    return create_db_engine(url)


def answer_entry(entry_id: str, disclaimer: str, database_url: str | None = None) -> Reply:
    """The composed answer for the FAQ entry `entry_id`, or an honest apology."""
    url = database_url or Settings.from_env().database_url
    try:
        entry = fetch_entry(engine_for(url), entry_id)
    except SQLAlchemyError as error:
        logger.error("knowledge base unreachable: %s", type(error).__name__)
        return UNAVAILABLE
    if entry is None:
        logger.error("FAQ entry %r is not in the knowledge base; run `faqbot load`", entry_id)
        return UNAVAILABLE
    return compose_entry_answer(entry, disclaimer)


def clarify(ranking: list[dict[str, Any]], database_url: str | None = None) -> Reply | None:
    """ "Did you mean ...?" with the two closest FAQ entries (`ranking`: the entry selector's,
    names are entry ids), or None for the out-of-scope reply."""
    url = database_url or Settings.from_env().database_url
    try:
        questions = entry_questions(engine_for(url))
    except SQLAlchemyError as error:
        logger.error("knowledge base unreachable: %s", type(error).__name__)
        return None
    candidates = clarify_candidates(ranking, questions)
    return _did_you_mean(candidates, questions) if candidates else None


def choose(
    ranking: list[dict[str, Any]], disclaimer: str, database_url: str | None = None
) -> Reply | None:
    """The answer to the selector's best entry when it is sure, "Did you mean" two entries when
    it is split, or None for the out-of-scope reply."""
    url = database_url or Settings.from_env().database_url
    try:
        questions = entry_questions(engine_for(url))
    except SQLAlchemyError as error:
        logger.error("knowledge base unreachable: %s", type(error).__name__)
        return UNAVAILABLE
    decision = decide(ranking, questions)
    if decision.kind == "answer":
        return answer_entry(decision.entries[0], disclaimer, url)
    if decision.kind == "clarify":
        return _did_you_mean(decision.entries, questions)
    return None


def _did_you_mean(entries: tuple[str, ...] | list[str], questions: dict[str, str]) -> Reply:
    return Reply(
        text="I'm not sure which of these you mean. Did you mean:",
        topic="clarify",
        buttons=[faq_button(entry, questions[entry]) for entry in entries],
    )
