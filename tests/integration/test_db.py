from __future__ import annotations

import sqlalchemy as sa

from bot.db import create_db_engine


def test_sqlite_runs_in_write_ahead_log_mode_with_normal_sync(sqlite_url: str) -> None:
    engine = create_db_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    engine.dispose()


def test_a_session_rolls_back_on_error(sqlite_url: str) -> None:
    from bot.db import TopicRow, create_schema, session_scope

    engine = create_db_engine(sqlite_url)
    create_schema(engine)
    try:
        with session_scope(engine) as session:
            session.add(TopicRow(id="cost", title="t", answer="a"))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with session_scope(engine) as session:
        assert session.query(TopicRow).count() == 0
    engine.dispose()
