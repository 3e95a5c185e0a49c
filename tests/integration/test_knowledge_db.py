"""The knowledge base loaded into SQLite and PostgreSQL and read back."""

from __future__ import annotations

import dataclasses

from sqlalchemy.engine import Engine

from bot.content.knowledge import KnowledgeBase, fetch_topic, load_into_db
from bot.db import TopicRow, session_scope


def _with_topic(kb: KnowledgeBase, topic_id: str, **changes: object) -> KnowledgeBase:
    topics = tuple(
        dataclasses.replace(t, **changes) if t.id == topic_id else t  # type: ignore[arg-type]
        for t in kb.topics
    )
    return dataclasses.replace(kb, topics=topics)


def test_loading_twice_keeps_one_copy_and_reads_back_in_order(
    kb: KnowledgeBase, engine: Engine
) -> None:
    load_into_db(kb, engine)
    load_into_db(kb, engine)
    with session_scope(engine) as session:
        assert session.query(TopicRow).count() == len(kb.topics)
    cost = fetch_topic(engine, "cost")
    assert cost is not None
    original = next(t for t in kb.topics if t.id == "cost")
    assert cost.answer == original.answer
    assert [s.id for s in cost.sources] == list(original.sources)
    assert [r.id for r in cost.related] == list(original.related)
    assert cost.related[0].title == next(t.title for t in kb.topics if t.id == original.related[0])


def test_an_edited_answer_replaces_the_stored_one(kb: KnowledgeBase, engine: Engine) -> None:
    load_into_db(kb, engine)
    load_into_db(_with_topic(kb, "cost", answer="Edited cost answer."), engine)
    cost = fetch_topic(engine, "cost")
    assert cost is not None and cost.answer == "Edited cost answer."


def test_an_unknown_topic_reads_as_none(kb: KnowledgeBase, engine: Engine) -> None:
    load_into_db(kb, engine)
    assert fetch_topic(engine, "weather") is None
