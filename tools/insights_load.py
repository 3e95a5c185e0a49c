"""Fills a database with a month of synthetic conversations and times the insights on it.

    .venv/bin/python -m tools.insights_load --messages 100000 --days 30 [--database-url URL]

Rows are written in the shape Rasa's SQLTrackerStore writes them (`events`: user, action, bot and
action_listen events, with the answer's text, buttons and metadata), so the insights read them as
they read real ones. Without --database-url a temporary SQLite file is used. Budget: the figures
of the month load in under 2 s (docs/insights.md).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.db import create_db_engine
from bot.insights.figures import compute
from bot.insights.index import DAY, LAG_SECONDS, refresh
from bot.insights.review import queue
from bot.insights.store import Vote, ensure_tables, record_vote

TOPICS = {
    "side_effects": ["side_effects_overview", "neck_pain", "droopy_eyelid"],
    "cost": ["cost_overview", "nhs_cost"],
    "procedure": ["procedure_overview", "does_it_hurt", "visit_length"],
    "schedule": ["schedule_overview", "how_often"],
    "effectiveness": ["effectiveness_overview", "how_soon"],
}
ANSWER = "Botox for chronic migraine is given as about 31 small injections. " * 14
UNANSWERED = [
    "can I bring my dog to the clinic",
    "what is the parking like",
    "do you do lip filler",
    "is it covered by my insurance in spain",
    "how do I cancel my appointment",
]
CHUNK = 5_000


def _event(sender: str, kind: str, timestamp: float, data: dict[str, Any], **columns: Any) -> dict:
    data = {"event": kind, "timestamp": timestamp, **data}
    return {
        "sender_id": sender,
        "type_name": kind,
        "timestamp": timestamp,
        "intent_name": columns.get("intent_name"),
        "action_name": columns.get("action_name"),
        "data": json.dumps(data),
    }


def _turn(rng: random.Random, sender: str, at: float) -> Iterator[dict]:
    roll = rng.random()
    if roll < 0.75:
        topic = rng.choice(list(TOPICS))
        entry = rng.choice(TOPICS[topic])
        text, intent, confidence = f"question about {entry.replace('_', ' ')}", "faq", 0.9
        meta = {"topic": topic, "faq": entry}
        buttons = [{"title": "Related", "payload": '/faq{"faq_entry":"how_often"}'}] * 3
    elif roll < 0.87:
        text, intent, confidence = rng.choice(UNANSWERED), "out_of_scope", 0.7
        entry, meta, buttons = None, {"topic": "out_of_scope"}, []
    elif roll < 0.95:
        text, intent, confidence = "botox thing maybe", "nlu_fallback", 0.3
        entry, meta, buttons = None, {"topic": "clarify"}, []
    else:
        text, intent, confidence = "hello", "greet", 0.99
        entry, meta, buttons = None, {"topic": "greet"}, []
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "response_selector": {
            "faq": {"response": {"intent_response_key": f"faq/{entry or 'cost_overview'}"}}
        },
    }
    yield _event(sender, "user", at, {"text": text, "parse_data": parse}, intent_name=intent)
    action = "action_answer_faq" if intent == "faq" else f"utter_{intent}"
    yield _event(sender, "action", at + 0.05, {"name": action}, action_name=action)
    body = {"text": ANSWER if entry else "Sorry, I can only help with Botox for migraine.",
            "data": {"buttons": buttons}, "metadata": meta}  # fmt: skip
    yield _event(sender, "bot", at + 0.1 + rng.random() * 0.4, body)
    yield _event(sender, "action", at + 0.6, {"name": "action_listen"}, action_name="action_listen")


def generate(
    engine: Engine, messages: int, days: int, now: float | None = None, seed: int = 12
) -> int:
    """Writes `messages` messages (about 5 per conversation) spread over the last `days` days,
    plus a "Helpful?" vote on one answer in ten. Returns the number of events written."""
    from rasa.core.tracker_store import SQLTrackerStore

    SQLTrackerStore.Base.metadata.create_all(engine)
    ensure_tables(engine)
    table = SQLTrackerStore.SQLEvent.__table__
    rng = random.Random(seed)
    end = time.time() if now is None else now
    rows: list[dict] = []
    written = 0
    conversation = 0
    remaining = messages
    with engine.begin() as connection:
        while remaining > 0:
            conversation += 1
            sender = f"load-{seed}-{conversation}"
            at = end - rng.random() * days * DAY
            for _ in range(min(remaining, rng.randint(1, 9))):
                rows.extend(_turn(rng, sender, at))
                at = min(at + rng.random() * 60, end - 1)
                remaining -= 1
            if len(rows) >= CHUNK:
                connection.execute(table.insert(), rows)
                written += len(rows)
                rows = []
        if rows:
            connection.execute(table.insert(), rows)
            written += len(rows)
    for index in range(1, conversation, 10):
        topic = rng.choice(list(TOPICS))
        entry = rng.choice(TOPICS[topic])
        vote = "up" if rng.random() < 0.75 else "down"
        question = f"question about {entry.replace('_', ' ')}"
        at = end - rng.random() * days * DAY
        record_vote(engine, Vote(f"load-{seed}-{index}", entry, topic, vote, question), at)
    return written


def time_figures(engine: Engine, days: int, now: float | None = None) -> tuple[float, Any]:
    """Seconds to compute the figures of the last `days` days, best of three (warm cache)."""
    end = time.time() if now is None else now
    best, figures = float("inf"), None
    for _ in range(3):
        began = time.perf_counter()
        figures = compute(engine, end - days * DAY, end)
        best = min(best, time.perf_counter() - began)
    return best, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'load.db'}"
        engine = create_db_engine(url)
        began = time.perf_counter()
        events = generate(engine, args.messages, args.days)
        print(f"wrote {args.messages} messages ({events} events) in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        began = time.perf_counter()
        indexed = refresh(engine, now=time.time() + LAG_SECONDS)
        print(f"indexed {indexed} messages once in {time.perf_counter() - began:.1f} s")
        seconds, figures = time_figures(engine, args.days)
        print(f"figures of {figures.messages} messages, {figures.conversations} conversations: "
              f"{seconds:.2f} s")  # fmt: skip
        began = time.perf_counter()
        items = queue(engine, time.time() - args.days * DAY, time.time())
        print(f"review queue ({len(items)} items): {time.perf_counter() - began:.2f} s")
        engine.dispose()
    return 0 if seconds < 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
