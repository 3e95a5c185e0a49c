"""The FAQ entries in the database: loaded twice they stay one copy, and read back whole."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.content.knowledge import KnowledgeBase, load_into_db, read_stored, stored_version
from bot.db import EntryRow, session_scope
from tests.support import with_entry


def test_entries_load_twice_as_one_copy_and_read_back(kb: KnowledgeBase, engine: Engine) -> None:
    load_into_db(kb, engine)
    load_into_db(with_entry(kb, "does_it_hurt", answer="Edited."), engine)
    with session_scope(engine) as session:
        assert session.query(EntryRow).count() == len(kb.entries)
    entries = read_stored(engine, stored_version(engine)).entries
    assert list(entries) == [e.id for e in kb.entries]
    stored = entries["does_it_hurt"]
    original = next(e for e in kb.entries if e.id == "does_it_hurt")
    assert stored.answer == "Edited."
    assert stored.topic == "procedure"
    assert [s.id for s in stored.sources] == list(original.sources)
    assert [r.id for r in stored.related] == list(original.related)
    assert stored.related[0].question == next(
        e.question for e in kb.entries if e.id == original.related[0]
    )
    assert "teleport" not in entries
