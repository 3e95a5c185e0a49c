"""The curated knowledge base: read from YAML, validated, loaded into the database, read back."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine
from sqlalchemy.orm import selectinload

from bot.db import (
    EntryRow,
    EntrySourceRow,
    KnowledgeVersionRow,
    RelatedEntryRow,
    RelatedTopicRow,
    SourceRow,
    TopicRow,
    TopicSourceRow,
    create_db_engine,
    create_schema,
    session_scope,
)

# Every FAQ entry needs at least this many `faq/<entry id>` training examples.
MIN_NLU_EXAMPLES = 25
# The retrieval intent whose sub-intents are the entries: `faq/<entry id>` (Rasa's convention).
FAQ_INTENT = "faq"


@dataclass(frozen=True)
class Source:
    id: str
    cite: str
    url: str | None = None


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    answer: str
    sources: tuple[str, ...]
    related: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One question a person asks, answered on its own; `topic` is one of the topic ids."""

    id: str
    topic: str
    question: str
    answer: str
    sources: tuple[str, ...]
    related: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    topics: tuple[Topic, ...]
    sources: Mapping[str, Source]
    entries: tuple[Entry, ...] = ()

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(topic.id for topic in self.topics)

    @property
    def entry_ids(self) -> tuple[str, ...]:
        return tuple(entry.id for entry in self.entries)

    def topic_of(self) -> dict[str, str]:
        """Each entry's topic by entry id."""
        return {entry.id: entry.topic for entry in self.entries}


def overview_id(topic_id: str) -> str:
    """The entry that answers a topic as a whole (the greeting's and menus' buttons)."""
    return f"{topic_id}_overview"


def faq_intent(entry_id: str) -> str:
    """The NLU label of an entry's training examples."""
    return f"{FAQ_INTENT}/{entry_id}"


@dataclass(frozen=True)
class RelatedTopic:
    id: str
    title: str


@dataclass(frozen=True)
class RelatedEntry:
    id: str
    question: str


@dataclass(frozen=True)
class EntryAnswer:
    """What the bot needs to answer one FAQ entry, as stored in the database."""

    id: str
    topic: str
    question: str
    answer: str
    sources: tuple[Source, ...]
    related: tuple[RelatedEntry, ...]


@dataclass(frozen=True)
class TopicAnswer:
    """What the bot needs to answer one topic, as stored in the database."""

    id: str
    title: str
    answer: str
    sources: tuple[Source, ...]
    related: tuple[RelatedTopic, ...]


@dataclass(frozen=True)
class StoredKnowledge:
    """Every FAQ entry as stored, by id, and the version stored with them (None for a knowledge
    base loaded before versions were stored)."""

    version: str | None
    entries: Mapping[str, EntryAnswer]

    def questions(self) -> dict[str, str]:
        """Each entry's question by id (the titles of "Did you mean" buttons)."""
        return {entry.id: entry.question for entry in self.entries.values()}

    def topics(self) -> dict[str, str]:
        """Each entry's topic by id."""
        return {entry.id: entry.topic for entry in self.entries.values()}


class KnowledgeError(ValueError):
    """The knowledge files cannot be read as a knowledge base."""


def read_knowledge(directory: Path) -> KnowledgeBase:
    """Reads `topics.yml`, `faq.yml` and `sources.yml` from `directory`."""
    try:
        topics_doc = yaml.safe_load((directory / "topics.yml").read_text(encoding="utf-8"))
        sources_doc = yaml.safe_load((directory / "sources.yml").read_text(encoding="utf-8"))
        faq_doc = yaml.safe_load((directory / "faq.yml").read_text(encoding="utf-8"))
        sources = {
            key: Source(id=key, cite=value["cite"], url=value.get("url"))
            for key, value in sources_doc["sources"].items()
        }
        topics = tuple(
            Topic(
                id=entry["id"],
                title=entry["title"],
                answer=" ".join(entry["answer"].split()),
                sources=tuple(entry.get("sources") or ()),
                related=tuple(entry.get("related") or ()),
            )
            for entry in topics_doc["topics"]
        )
        entries = tuple(
            Entry(
                id=entry["id"],
                topic=entry["topic"],
                question=" ".join(entry["question"].split()),
                answer=" ".join(entry["answer"].split()),
                sources=tuple(entry.get("sources") or ()),
                related=tuple(entry.get("related") or ()),
            )
            for entry in faq_doc["entries"]
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise KnowledgeError(f"cannot read the knowledge base in {directory}: {error!r}") from error
    return KnowledgeBase(topics=topics, sources=sources, entries=entries)


def validate(kb: KnowledgeBase, nlu_example_counts: Mapping[str, int]) -> list[str]:
    """Every problem that would make an answer unsourced, unreachable or dangling."""
    problems: list[str] = []
    ids = kb.topic_ids
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"topic '{duplicate}' is defined more than once")
    for topic in kb.topics:
        if not topic.answer.strip():
            problems.append(f"topic '{topic.id}' has an empty answer")
        if not topic.sources:
            problems.append(f"topic '{topic.id}' has no source")
        for source in topic.sources:
            if source not in kb.sources:
                problems.append(f"topic '{topic.id}' cites unknown source '{source}'")
        if not 2 <= len(topic.related) <= 3:
            problems.append(f"topic '{topic.id}' should have 2-3 related topics")
        for related in topic.related:
            if related not in ids:
                problems.append(f"topic '{topic.id}' names unknown related topic '{related}'")
            elif related == topic.id:
                problems.append(f"topic '{topic.id}' names itself as related")
    return problems + validate_entries(kb, nlu_example_counts)


def validate_entries(kb: KnowledgeBase, nlu_example_counts: Mapping[str, int]) -> list[str]:
    """The same for the FAQ entries, plus: each topic has its overview entry, each entry its
    `faq/<id>` training examples, and no training example names an entry that does not exist."""
    problems: list[str] = []
    ids = kb.entry_ids
    topics = set(kb.topic_ids)
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"entry '{duplicate}' is defined more than once")
    for topic_id in kb.topic_ids:
        if overview_id(topic_id) not in ids:
            problems.append(f"topic '{topic_id}' has no '{overview_id(topic_id)}' entry")
    for entry in kb.entries:
        if entry.topic not in topics:
            problems.append(f"entry '{entry.id}' names unknown topic '{entry.topic}'")
        if not entry.question.strip():
            problems.append(f"entry '{entry.id}' has an empty question")
        if not entry.answer.strip():
            problems.append(f"entry '{entry.id}' has an empty answer")
        if not entry.sources:
            problems.append(f"entry '{entry.id}' has no source")
        for source in entry.sources:
            if source not in kb.sources:
                problems.append(f"entry '{entry.id}' cites unknown source '{source}'")
        if not 2 <= len(entry.related) <= 3:
            problems.append(f"entry '{entry.id}' should have 2-3 related entries")
        for related in entry.related:
            if related not in ids:
                problems.append(f"entry '{entry.id}' names unknown related entry '{related}'")
            elif related == entry.id:
                problems.append(f"entry '{entry.id}' names itself as related")
        examples = nlu_example_counts.get(faq_intent(entry.id), 0)
        if examples < MIN_NLU_EXAMPLES:
            problems.append(
                f"entry '{entry.id}' has {examples} NLU examples (at least {MIN_NLU_EXAMPLES})"
            )
    known = {faq_intent(i) for i in ids}
    for intent in sorted(nlu_example_counts):
        if intent.startswith(f"{FAQ_INTENT}/") and intent not in known:
            problems.append(f"NLU intent '{intent}' names no FAQ entry")
    return problems


def knowledge_version(kb: KnowledgeBase) -> str:
    """A digest of everything in `kb`: stored with it, so that readers can tell an edit."""
    text = json.dumps(dataclasses.asdict(kb), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def load_into_db(kb: KnowledgeBase, engine: Engine) -> None:
    """Makes the database hold exactly `kb`, with its version; running it twice changes
    nothing."""
    create_schema(engine)
    with session_scope(engine) as session:
        for table in (
            KnowledgeVersionRow,
            RelatedEntryRow,
            EntrySourceRow,
            EntryRow,
            RelatedTopicRow,
            TopicSourceRow,
            TopicRow,
            SourceRow,
        ):
            session.query(table).delete()
        session.add_all(
            SourceRow(id=source.id, cite=source.cite, url=source.url)
            for source in kb.sources.values()
        )
        session.add_all(TopicRow(id=t.id, title=t.title, answer=t.answer) for t in kb.topics)
        session.flush()
        for topic in kb.topics:
            session.add_all(
                TopicSourceRow(topic_id=topic.id, source_id=source, position=position)
                for position, source in enumerate(topic.sources)
            )
            session.add_all(
                RelatedTopicRow(topic_id=topic.id, related_id=related, position=position)
                for position, related in enumerate(topic.related)
            )
        session.add_all(
            EntryRow(id=e.id, topic_id=e.topic, question=e.question, answer=e.answer, position=n)
            for n, e in enumerate(kb.entries)
        )
        session.flush()
        for entry in kb.entries:
            session.add_all(
                EntrySourceRow(entry_id=entry.id, source_id=source, position=position)
                for position, source in enumerate(entry.sources)
            )
            session.add_all(
                RelatedEntryRow(entry_id=entry.id, related_id=related, position=position)
                for position, related in enumerate(entry.related)
            )
        session.add(KnowledgeVersionRow(version=knowledge_version(kb)))


def load_knowledge(database_url: str, directory: Path) -> None:
    """Reads the knowledge base in `directory` and makes the database at `database_url` hold it."""
    engine = create_db_engine(database_url)
    try:
        load_into_db(read_knowledge(directory), engine)
    finally:
        engine.dispose()


def fetch_topic(engine: Engine, topic_id: str) -> TopicAnswer | None:
    """The stored answer for `topic_id`, or None when the database has no such topic."""
    with session_scope(engine) as session:
        row = (
            session.query(TopicRow)
            .options(
                selectinload(TopicRow.sources).joinedload(TopicSourceRow.source),
                selectinload(TopicRow.related).joinedload(RelatedTopicRow.related),
            )
            .filter(TopicRow.id == topic_id)
            .one_or_none()
        )
        if row is None:
            return None
        return TopicAnswer(
            id=row.id,
            title=row.title,
            answer=row.answer,
            sources=tuple(
                Source(id=link.source.id, cite=link.source.cite, url=link.source.url)
                for link in row.sources
            ),
            related=tuple(
                RelatedTopic(id=link.related.id, title=link.related.title) for link in row.related
            ),
        )


def stored_version(engine: Engine) -> str | None:
    """The version stored with the knowledge base: one small query, for a reader to tell whether
    what it read before is still current. None when no version is stored."""
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version FROM kb_version").scalar()
    return None if version is None else str(version)


def read_stored(engine: Engine, version: str | None) -> StoredKnowledge:
    """Every stored FAQ entry with its sources and related entries, in three queries; `version`:
    the stored version read just before (a load committed in between is seen at the next check)."""
    entries, cites = EntryRow.__table__, EntrySourceRow.__table__
    sources, links = SourceRow.__table__, RelatedEntryRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                entries.c.id, entries.c.topic_id, entries.c.question, entries.c.answer
            ).order_by(entries.c.position)
        ).all()
        cited: dict[str, list[Source]] = {row.id: [] for row in rows}
        for row in connection.execute(
            sa.select(cites.c.entry_id, sources.c.id, sources.c.cite, sources.c.url)
            .join(sources, cites.c.source_id == sources.c.id)
            .order_by(cites.c.entry_id, cites.c.position)
        ):
            cited[row.entry_id].append(Source(id=row.id, cite=row.cite, url=row.url))
        related: dict[str, list[str]] = {row.id: [] for row in rows}
        for row in connection.execute(
            sa.select(links.c.entry_id, links.c.related_id).order_by(
                links.c.entry_id, links.c.position
            )
        ):
            related[row.entry_id].append(row.related_id)
    questions = {row.id: row.question for row in rows}
    return StoredKnowledge(
        version=version,
        entries={
            row.id: EntryAnswer(
                id=row.id,
                topic=row.topic_id,
                question=row.question,
                answer=row.answer,
                sources=tuple(cited[row.id]),
                related=tuple(RelatedEntry(id=i, question=questions[i]) for i in related[row.id]),
            )
            for row in rows
        },
    )
