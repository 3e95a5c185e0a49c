"""What the actions call: one function per answer, with the database behind it."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.content.answers import UNAVAILABLE, Reply, compose_answer, topic_button
from bot.content.fallback import clarify_candidates
from bot.content.knowledge import fetch_topic, topic_titles
from bot.db import create_db_engine

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per database URL, created on first use."""
    return create_db_engine(url)


def answer_topic(topic_id: str, disclaimer: str, database_url: str | None = None) -> Reply:
    """The composed answer for `topic_id`, or an honest apology when it cannot be read."""
    url = database_url or Settings.from_env().database_url
    try:
        topic = fetch_topic(engine_for(url), topic_id)
    except SQLAlchemyError as error:
        logger.error("knowledge base unreachable: %s", type(error).__name__)
        return UNAVAILABLE
    if topic is None:
        logger.error("topic %r is not in the knowledge base; run `faqbot load`", topic_id)
        return UNAVAILABLE
    return compose_answer(topic, disclaimer)


def clarify(ranking: list[dict[str, Any]], database_url: str | None = None) -> Reply | None:
    """ "Did you mean ...?" with the two closest topics, or None for the out-of-scope reply."""
    url = database_url or Settings.from_env().database_url
    try:
        titles = topic_titles(engine_for(url))
    except SQLAlchemyError as error:
        logger.error("knowledge base unreachable: %s", type(error).__name__)
        return None
    candidates = clarify_candidates(ranking, titles)
    if not candidates:
        return None
    return Reply(
        text="I'm not sure which of these you mean. Did you mean:",
        topic="clarify",
        buttons=[topic_button(topic, titles[topic]) for topic in candidates],
    )
