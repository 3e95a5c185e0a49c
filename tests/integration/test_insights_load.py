"""A month of 100,000 messages: the insights figures load in under 2 s, on SQLite and PostgreSQL.

The volume comes from tools/insights_load.py (rows shaped as Rasa's tracker store writes them).
Indexing the month the first time is timed and printed too: the web server does it in the
background (bot/insights/web.py), so a page load only reads the last few seconds' events.
"""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine

from bot.insights.index import DAY, refresh
from bot.insights.review import queue
from tools.insights_load import generate, time_figures

MESSAGES = 100_000
BUDGET_SECONDS = 2.0


def test_a_month_of_100000_messages_loads_in_under_2_seconds(engine: Engine) -> None:
    now = time.time()
    generate(engine, MESSAGES, days=30, now=now)
    began = time.perf_counter()
    indexed = refresh(engine, now=now + 120)
    indexing = time.perf_counter() - began
    seconds, figures = time_figures(engine, 30, now=now + 1)
    print(f"\n{engine.dialect.name}: indexed {indexed} messages in {indexing:.1f} s; "
          f"figures of {figures.messages} messages in {seconds:.2f} s")  # fmt: skip
    began = time.perf_counter()
    items = queue(engine, now - 30 * DAY, now + 1)
    reviewing = time.perf_counter() - began
    print(f"{engine.dialect.name}: review queue ({len(items)} messages) in {reviewing:.2f} s")
    assert figures.messages == MESSAGES
    assert seconds < BUDGET_SECONDS
    assert reviewing < BUDGET_SECONDS
