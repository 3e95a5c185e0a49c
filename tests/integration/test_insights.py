"""The insights on SQLite and PostgreSQL: figures from the tracker store's rows, votes, the review
queue and its labels, `faqbot report` / `faqbot review`, and `faqbot purge` covering them."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import Engine

from bot.insights import store
from bot.insights.figures import compute, period
from bot.insights.index import refresh
from bot.insights.review import LabelError, label, queue
from bot.insights.store import (
    Vote,
    ensure_tables,
    feedback,
    record_vote,
    review_labels,
    turns,
)
from bot.ops import cli
from bot.ops.retention import purge
from tools.insights_load import _event

NOW = time.time()
ENTRIES = ["cost_overview", "does_it_hurt", "side_effects_overview"]


def say(engine: Engine, sender: str, at: float, text: str, intent: str, topic: str,
        faq: str | None = None, confidence: float = 0.9, response: bool = False,
        reply_after: float = 0.2) -> None:  # fmt: skip
    """One turn as Rasa stores it: the message, the action, the bot's message, action_listen.
    `response`: the reply is a domain response (its topic one level down in the metadata)."""
    selected = {"faq": {"response": {"intent_response_key": "faq/does_it_hurt"}}}
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence},
             "response_selector": selected}  # fmt: skip
    meta: dict[str, Any] = {"metadata": {"topic": topic}} if response else {"topic": topic}
    if faq:
        meta["faq"] = faq
    rows = [
        _event(sender, "user", at, {"text": text, "parse_data": parse}, intent_name=intent),
        _event(sender, "action", at + 0.05, {"name": "x"}, action_name="x"),
        _event(sender, "bot", at + reply_after, {"text": "reply", "metadata": meta}),
    ]
    SQLTrackerStore.Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(SQLTrackerStore.SQLEvent.__table__.insert(), rows)


@pytest.fixture
def traffic(engine: Engine) -> Engine:
    at = NOW - 3600
    say(engine, "a", at, "how much does it cost", "faq", "cost", "cost_overview")
    say(
        engine, "a", at + 10, '/faq{"faq_entry":"does_it_hurt"}', "faq", "procedure", "does_it_hurt"
    )
    say(engine, "a", at + 20, '/feedback{"vote":"down","faq_entry":"cost_overview"}', "feedback",
        "feedback")  # fmt: skip
    say(engine, "b", at + 30, "Can I bring my dog? mail me: x@y.org", "out_of_scope",
        "out_of_scope", response=True)  # fmt: skip
    say(engine, "b", at + 40, "can i bring my dog", "out_of_scope", "out_of_scope", response=True)
    say(engine, "b", at + 50, "botox thing", "nlu_fallback", "clarify", confidence=0.3)
    say(engine, "c", at + 60, "should I take it with my pills", "personal_advice",
        "personal_advice")  # fmt: skip
    say(engine, "c", at + 70, "worst headache of my life", "emergency", "emergency")
    say(engine, "c", at + 80, "hi", "greet", "greet", response=True)
    say(engine, "c", at + 90, "will it hurt a lot", "faq", "procedure", "does_it_hurt",
        confidence=0.4)  # fmt: skip
    say(engine, "old", NOW - 40 * 86400, "an old question", "out_of_scope", "out_of_scope")
    record_vote(engine, Vote("a", "cost_overview", "cost", "up", "how much does it cost"), at + 15)
    record_vote(
        engine, Vote("a", "cost_overview", "cost", "down", "how much does it cost"), at + 21
    )
    record_vote(engine, Vote("c", "does_it_hurt", "procedure", "up"), at + 95)
    return engine


def test_the_figures_count_each_message_once_by_what_the_bot_did(traffic: Engine) -> None:
    figures = compute(traffic, *period(30, NOW))
    report = figures.report()
    assert list(report) == [
        "conversations", "messages", "per_topic", "per_entry", "answered_rate",
        "out_of_scope_rate", "clarify_rate", "emergencies", "feedback", "unanswered",
    ]  # fmt: skip
    assert report["messages"] == 9  # the vote is not a message; the 40-day-old one is outside
    assert report["conversations"] == 3
    assert report["per_topic"] == {"procedure": 2, "cost": 1}
    assert report["per_entry"] == {"does_it_hurt": 2, "cost_overview": 1}
    assert report["answered_rate"] == round(3 / 9, 4)
    assert report["out_of_scope_rate"] == round(2 / 9, 4)
    assert report["clarify_rate"] == round(1 / 9, 4)
    assert report["emergencies"] == 1
    assert report["feedback"] == {"up": 1, "down": 1}  # the second vote on cost replaced the first
    assert (
        report["unanswered"]
        == [
            {"text": "Can I bring my dog? mail me: [email]", "count": 1},
            {"text": "can i bring my dog", "count": 1},
            {"text": "botox thing", "count": 1},
        ]
        or report["unanswered"][0]["count"] == 1
    )
    page = figures.page()
    assert page["outcomes"]["refused"] == 1 and page["outcomes"]["other"] == 1
    assert page["feedback_per_entry"]["cost_overview"] == {"up": 0, "down": 1}
    assert 150 <= page["latency_ms"]["median"] <= 250
    assert [d["messages"] for d in page["per_day"]] and sum(
        d["messages"] for d in page["per_day"]
    ) == 9
    assert compute(traffic, *period(60, NOW)).messages == 10


def test_the_index_reads_only_new_events_and_pairs_a_late_reply(engine: Engine) -> None:
    say(engine, "s", NOW - 600, "first", "faq", "cost", "cost_overview")
    assert refresh(engine, now=NOW) == 1
    assert refresh(engine, now=NOW) == 0
    SQLTrackerStore.Base.metadata.create_all(engine)
    table = SQLTrackerStore.SQLEvent.__table__
    with engine.begin() as connection:
        connection.execute(table.insert(), [_event("s", "user", NOW - 5, {"text": "second"},
                                                   intent_name="out_of_scope")])  # fmt: skip
    refresh(engine, now=NOW)
    with engine.begin() as connection:
        connection.execute(table.insert(), [_event("s", "bot", NOW - 4, {"metadata": {
            "metadata": {"topic": "out_of_scope"}}})])  # fmt: skip
    refresh(engine, now=NOW)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(turns.c.text, turns.c.outcome).order_by(turns.c.id))
        assert rows.all() == [("first", "answered"), ("second", "out_of_scope")]


def tables_missing_after_racing(engine: Engine, workers: int) -> list[set[str]]:
    """`workers` threads call `ensure_tables` at the same moment; what each then finds missing."""
    start = threading.Barrier(workers)
    missing: list[set[str]] = []

    def create() -> None:
        start.wait()
        ensure_tables(engine)
        missing.append(set(store.metadata.tables) - set(sa.inspect(engine).get_table_names()))

    threads = [threading.Thread(target=create) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return missing


def test_servers_starting_together_each_find_every_table(engine: Engine) -> None:
    """The web server's indexer thread and the first page load create the tables at the same
    moment; neither may go on before all of them exist (CI once answered 500 on SQLite)."""
    for _ in range(5):
        with engine.begin() as connection:
            for table in reversed(store.metadata.sorted_tables):
                connection.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
        assert tables_missing_after_racing(engine, workers=6) == [set()] * 6


def test_the_review_queue_labels_become_training_data_and_never_come_back(
    traffic: Engine, tmp_path: Path
) -> None:
    reviewed = tmp_path / "reviewed.yml"
    items = queue(traffic, *period(30, NOW))
    texts = {item.text: item for item in items}
    assert set(texts) == {
        "Can I bring my dog? mail me: [email]", "can i bring my dog", "botox thing",
        "will it hurt a lot", "how much does it cost",
    }  # fmt: skip
    assert texts["botox thing"].reasons == ["clarify"]
    assert texts["will it hurt a lot"].reasons == ["low_confidence"]
    assert texts["how much does it cost"].reasons == ["not_helpful"]
    assert texts["how much does it cost"].guess == "cost_overview"
    assert "@" not in json.dumps([item.as_dict() for item in items])  # redacted only

    done = label(traffic, texts["will it hurt a lot"].key, "does_it_hurt", items, ENTRIES, reviewed)
    assert done.appended and done.intent == "faq/does_it_hurt"
    label(traffic, texts["botox thing"].key, "ignore", items, ENTRIES, reviewed)
    label(traffic, texts["can i bring my dog"].key, "out_of_scope", items, ENTRIES, reviewed)
    with pytest.raises(LabelError):
        label(traffic, texts["can i bring my dog"].key, "ignore", items, ENTRIES, reviewed)
    document = yaml.safe_load(reviewed.read_text())
    assert document["nlu"] == [
        {"intent": "faq/does_it_hurt", "examples": "- will it hurt a lot\n"},
        {"intent": "out_of_scope", "examples": "- can i bring my dog\n"},
    ]
    left = {item.text for item in queue(traffic, *period(30, NOW))}
    assert left == {"Can I bring my dog? mail me: [email]", "how much does it cost"}


def test_purge_covers_votes_the_index_and_the_text_of_labels(
    traffic: Engine, tmp_path: Path
) -> None:
    items = queue(traffic, *period(60, NOW))
    old = next(item for item in items if item.text == "an old question")
    label(traffic, old.key, "ignore", items, ENTRIES, tmp_path / "r.yml")
    with traffic.begin() as connection:
        connection.execute(review_labels.update().values(timestamp=NOW - 40 * 86400))
        connection.execute(feedback.update().where(feedback.c.sender_id == "c")
                           .values(timestamp=NOW - 40 * 86400))  # fmt: skip
    result = purge(traffic, timedelta(days=30))
    assert (result.conversations, result.feedback, result.labels) == (1, 1, 1)
    with traffic.connect() as connection:
        assert connection.execute(sa.select(turns.c.sender_id).distinct()).scalars().all() != []
        assert "old" not in connection.execute(sa.select(turns.c.sender_id)).scalars().all()
        assert connection.execute(sa.select(review_labels.c.text)).scalars().all() == [None]
        assert connection.execute(sa.select(feedback.c.sender_id)).scalars().all() == ["a"]
    assert all(item.text != "an old question" for item in queue(traffic, *period(60, NOW)))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_faqbot_report_and_review_from_the_terminal(
    traffic: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    reviewed = tmp_path / "reviewed.yml"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REVIEWED_NLU_PATH", str(reviewed))
    assert cli.main(["report", "--since", "7", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["messages"] == 9 and report["feedback"] == {"up": 1, "down": 1}
    assert cli.main(["report", "--since", "7"]) == 0
    assert "top unanswered" in capsys.readouterr().out
    assert cli.main(["review", "list"]) == 0
    listed = capsys.readouterr().out
    line = next(line for line in listed.splitlines() if line.endswith("will it hurt a lot"))
    assert cli.main(["review", "label", line.split()[0], "does_it_hurt"]) == 0
    assert "faq/does_it_hurt" in reviewed.read_text()
    assert cli.main(["review", "export", "--output", str(tmp_path / "q.csv")]) == 0
    exported = (tmp_path / "q.csv").read_text()
    assert "will it hurt a lot" not in exported and "[email]" in exported and "@" not in exported
