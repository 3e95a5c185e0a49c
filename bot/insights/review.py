"""The review queue (active learning): messages the bot did not handle well, for staff to label.

A message joins the queue when it got the out-of-scope reply or a "Did you mean", when the
classifier's confidence was low, or when its answer got a "No" vote. Messages are grouped by their
normalised text and shown redacted, with the bot's guess. A label is an FAQ entry, "out of scope"
or "ignore"; entries and "out of scope" are appended to the NLU training data
(REVIEWED_NLU_PATH, default data/nlu/reviewed.yml, which `make train` reads with the rest of
data/nlu). A labelled text never comes back: its key is kept in `insights_review_labels`, and a
text already in the training data is not queued either.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from bot.content.knowledge import faq_intent
from bot.insights.figures import LOW_CONFIDENCE, read_turns
from bot.insights.index import refresh
from bot.insights.store import ensure_tables, feedback, labelled_keys, save_label, text_key
from bot.insights.store import turns as indexed
from bot.nlu.data import normalise, read_examples
from bot.stores.redact import redact

OUT_OF_SCOPE = "out_of_scope"
IGNORE = "ignore"
MAX_ITEMS = 200

HEADER = """\
version: "3.1"
# Real messages labelled by clinic staff in the review queue (the insights page or
# `faqbot review label`), appended by bot/insights/review.py. Text is stored redacted.
# Edit by hand if a label was wrong; `make train` picks this file up with the rest of data/nlu.
"""

_FILE_LOCK = threading.Lock()


class LabelError(ValueError):
    """A label that cannot be saved; the message says why."""


@dataclass
class Item:
    key: str
    text: str
    count: int = 0
    reasons: list[str] = field(default_factory=list)
    guess: str | None = None
    confidence: float | None = None
    last_seen: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _add(items: dict[str, Item], text: str, reason: str, guess: str | None,
         confidence: float | None, seen: float) -> None:  # fmt: skip
    key = text_key(text)
    item = items.get(key)
    if item is None:
        item = items[key] = Item(key=key, text=redact(text))
    item.count += 1
    if reason not in item.reasons:
        item.reasons.append(reason)
    if seen >= item.last_seen:
        item.last_seen, item.guess = seen, guess or item.guess
        item.confidence = confidence if confidence is not None else item.confidence


def queue(
    engine: Engine, start: float, end: float, training_texts: Iterable[str] = (),
    limit: int = MAX_ITEMS,
) -> list[Item]:  # fmt: skip
    """The unlabelled messages of [start, end) that need a look, most frequent first."""
    refresh(engine)
    known = {normalise(text) for text in training_texts}
    with engine.connect() as connection:
        turns = read_turns(
            connection, start, end,
            indexed.c.outcome.in_(("out_of_scope", "clarified"))
            | (indexed.c.confidence < LOW_CONFIDENCE),
        )  # fmt: skip
        done = labelled_keys(connection)
        voted_down = connection.execute(
            sa.select(
                feedback.c.question, feedback.c.faq_entry, feedback.c.timestamp
            ).where(
                feedback.c.vote == "down", feedback.c.question.isnot(None),
                feedback.c.timestamp >= start, feedback.c.timestamp < end,
            )
        ).all()  # fmt: skip
    items: dict[str, Item] = {}
    for turn in turns:
        if turn.is_payload or not normalise(turn.text):
            continue
        if turn.outcome == "out_of_scope":
            reason = "out_of_scope"
        elif turn.outcome == "clarified":
            reason = "clarify"
        elif turn.confidence is not None and turn.confidence < LOW_CONFIDENCE:
            reason = "low_confidence"
        else:
            continue
        _add(items, turn.text, reason, turn.guess, turn.confidence, turn.timestamp)
    for question, entry, timestamp in voted_down:
        _add(items, question, "not_helpful", entry, None, timestamp)
    pending = [
        item for item in items.values()
        if item.key not in done and normalise(item.text) not in known
    ]  # fmt: skip
    pending.sort(key=lambda item: (-item.count, -item.last_seen))
    return pending[:limit]


def to_csv(items: Iterable[Item]) -> str:
    """The queue as CSV (redacted text only), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["key", "text", "count", "reasons", "guess", "confidence", "last_seen"])
    for item in items:
        writer.writerow([
            item.key, _csv_safe(item.text), item.count, " ".join(item.reasons), item.guess or "",
            "" if item.confidence is None else f"{item.confidence:.3f}", f"{item.last_seen:.0f}",
        ])  # fmt: skip
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ as a formula: such text gets a quote."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- labels -------------------------------------------------------------------------------------


def label_intent(label: str, entry_ids: Iterable[str]) -> str | None:
    """The NLU intent a label stands for (None for "ignore"); LabelError for an unknown one."""
    if label == IGNORE:
        return None
    if label in (OUT_OF_SCOPE, "out of scope"):
        return OUT_OF_SCOPE
    entry = label.removeprefix("faq/")
    if entry in set(entry_ids):
        return faq_intent(entry)
    raise LabelError(f"unknown label {label!r}: an FAQ entry id, 'out_of_scope' or 'ignore'")


def training_example(text: str) -> str:
    """`text` as one line of NLU training data: redacted, on one line, and with nothing Rasa
    would read as entity markup (`[x](y)`, `[x]{...}`)."""
    line = " ".join("".join(c for c in redact(text) if c.isprintable() or c.isspace()).split())
    return re.sub(r"\]\s*([(\[{])", r"] \1", line).replace("](", "] (")


def read_nlu_file(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(document.get("nlu") or [])


def render_nlu_file(blocks: list[dict[str, Any]]) -> str:
    """The reviewed file: the header, then one block per intent (`nlu: []` when empty, which
    Rasa reads as no examples)."""
    if not blocks:
        return HEADER + "nlu: []\n"
    lines = [HEADER.rstrip("\n"), "nlu:"]
    for block in blocks:
        lines.append(f"- intent: {block['intent']}")
        lines.append("  examples: |")
        for example in _examples(block):
            lines.append(f"    - {example}")
    return "\n".join(lines) + "\n"


def _examples(block: Mapping[str, Any]) -> Iterator[str]:
    for line in str(block.get("examples") or "").splitlines():
        line = line.strip()
        if line.startswith("- "):
            yield line[2:].strip()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time, across threads (the web server) and processes (`faqbot review`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The lock file lives in the temporary folder, not beside the training data.
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"faqbot-reviewed-{name}.lock"
    with _FILE_LOCK, open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append_example(path: Path, intent: str, text: str, nlu_dir: Path | None = None) -> bool:
    """Adds `text` under `intent` in the NLU file at `path`; False if it is already there.
    LabelError when the training data (`nlu_dir` and `path`) has it under another intent, which
    `rasa data validate` would refuse."""
    example = training_example(text)
    if not normalise(example):
        raise LabelError("nothing left to learn from once redacted")
    with _locked(path):
        sources = [p for p in (nlu_dir, path) if p is not None and p.exists()]
        for existing, other in read_examples(sources):
            if normalise(existing) == normalise(example):
                if other == intent:
                    return False
                raise LabelError(f"already a training example of {other!r}")
        blocks = read_nlu_file(path)
        block = next((b for b in blocks if b.get("intent") == intent), None)
        if block is None:
            block = {"intent": intent, "examples": ""}
            blocks.append(block)
        block["examples"] = "".join(f"- {e}\n" for e in [*_examples(block), example])
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(render_nlu_file(blocks), encoding="utf-8")
        temporary.replace(path)
    return True


@dataclass(frozen=True)
class Labelled:
    key: str
    text: str
    label: str
    intent: str | None
    appended: bool


def label(
    engine: Engine,
    key: str,
    label_name: str,
    items: Iterable[Item],
    entry_ids: Iterable[str],
    nlu_path: Path,
    nlu_dir: Path | None = None,
) -> Labelled:
    """Labels the queued message `key` (one of `items`): the label is kept in the database, and
    an entry or "out of scope" is appended to `nlu_path` as training data."""
    item = next((i for i in items if i.key == key), None)
    if item is None:
        raise LabelError("no such message in the review queue (labelled already?)")
    intent = label_intent(label_name, entry_ids)
    stored_label = intent or IGNORE
    ensure_tables(engine)
    with engine.begin() as connection:
        if not save_label(connection, item.text, stored_label):
            raise LabelError("this message is labelled already")
        appended = append_example(nlu_path, intent, item.text, nlu_dir) if intent else False
    return Labelled(key, item.text, stored_label, intent, appended)
