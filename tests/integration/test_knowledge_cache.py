"""The action server's knowledge base in memory (bot.content.service.KnowledgeCache): read whole
once, checked with one small query per use, read again after `faqbot load` changed it; on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.content.knowledge import KnowledgeBase, knowledge_version, load_into_db, read_stored
from bot.content.service import KnowledgeCache, answer_entry
from bot.db import KnowledgeVersionRow
from tests.support import with_entry


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs while the test does."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def test_an_unchanged_knowledge_base_is_read_once_then_only_its_version_is_checked(
    kb: KnowledgeBase, engine: Engine, statements: list[str]
) -> None:
    load_into_db(kb, engine)
    cache = KnowledgeCache(engine)
    first = cache.current()
    assert first.version == knowledge_version(kb)
    assert first.entries == read_stored(engine, first.version).entries
    statements.clear()
    for _ in range(3):
        assert cache.current() is first
    assert [s for s in statements if s != "SELECT 1"] == ["SELECT version FROM kb_version"] * 3


def test_an_edit_loaded_while_serving_is_answered_at_the_next_message(
    kb: KnowledgeBase, engine: Engine, disclaimer: str
) -> None:
    load_into_db(kb, engine)
    url = engine.url.render_as_string(hide_password=False)
    assert not answer_entry("does_it_hurt", disclaimer, url).text.startswith("Edited.")
    load_into_db(with_entry(kb, "does_it_hurt", answer="Edited."), engine)
    assert answer_entry("does_it_hurt", disclaimer, url).text.startswith("Edited.")
    load_into_db(kb, engine)  # and back
    assert not answer_entry("does_it_hurt", disclaimer, url).text.startswith("Edited.")


def test_loading_the_same_content_again_keeps_its_version(
    kb: KnowledgeBase, engine: Engine
) -> None:
    load_into_db(kb, engine)
    cache = KnowledgeCache(engine)
    before = cache.current()
    load_into_db(kb, engine)
    assert cache.current().version == before.version
    assert knowledge_version(with_entry(kb, "does_it_hurt", answer="Edited.")) != before.version


def test_a_knowledge_base_loaded_before_versions_were_stored_is_read_whole_each_time(
    kb: KnowledgeBase, engine: Engine
) -> None:
    load_into_db(kb, engine)
    KnowledgeVersionRow.__table__.drop(engine)
    cache = KnowledgeCache(engine)
    first = cache.current()
    assert first.version is None and len(first.entries) == len(kb.entries)
    second = cache.current()
    assert second is not first and second.entries == first.entries
