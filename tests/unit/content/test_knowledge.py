from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

from bot.content.knowledge import (
    KnowledgeBase,
    KnowledgeError,
    read_knowledge,
    validate,
)
from tests.support import KNOWLEDGE_DIR

TOPIC_IDS = (
    "what_is_botox how_it_works procedure schedule eligibility chronic_migraine side_effects "
    "effectiveness other_treatments cost see_a_doctor"
).split()
ENOUGH = {f"faq/{entry}": 30 for entry in read_knowledge(KNOWLEDGE_DIR).entry_ids}


def test_the_knowledge_base_has_exactly_the_contract_topics(kb: KnowledgeBase) -> None:
    assert list(kb.topic_ids) == TOPIC_IDS


def test_the_shipped_knowledge_base_is_valid(kb: KnowledgeBase) -> None:
    assert validate(kb, ENOUGH) == []


def test_every_answer_cites_listed_sources_with_their_addresses(kb: KnowledgeBase) -> None:
    for topic in kb.topics:
        for source in topic.sources:
            assert source in kb.sources
    # Every source but our primary article says where a reader can check it.
    for source in kb.sources.values():
        if source.id != "article":
            assert source.url and source.url.startswith("https://"), source


def _with_topic(kb: KnowledgeBase, topic_id: str, **changes: object) -> KnowledgeBase:
    topics = tuple(
        dataclasses.replace(t, **changes) if t.id == topic_id else t  # type: ignore[arg-type]
        for t in kb.topics
    )
    return dataclasses.replace(kb, topics=topics)


def test_validation_rejects_a_topic_without_a_source(kb: KnowledgeBase) -> None:
    broken = _with_topic(kb, "cost", sources=())
    assert validate(broken, ENOUGH) == ["topic 'cost' has no source"]


def test_validation_rejects_an_unknown_source(kb: KnowledgeBase) -> None:
    broken = _with_topic(kb, "cost", sources=("nice_ta260", "a_blog"))
    assert validate(broken, ENOUGH) == ["topic 'cost' cites unknown source 'a_blog'"]


def test_validation_rejects_an_unknown_related_topic(kb: KnowledgeBase) -> None:
    broken = _with_topic(kb, "cost", related=("eligibility", "pricing"))
    assert validate(broken, ENOUGH) == ["topic 'cost' names unknown related topic 'pricing'"]


def test_validation_rejects_an_entry_with_too_few_nlu_examples(kb: KnowledgeBase) -> None:
    problems = validate(kb, {**ENOUGH, "faq/when_to_stop": 24})
    assert problems == ["entry 'when_to_stop' has 24 NLU examples (at least 25)"]


def test_the_validate_command_fails_on_a_broken_knowledge_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.ops.cli import main

    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "kb")
    doc = yaml.safe_load((tmp_path / "kb" / "topics.yml").read_text())
    doc["topics"][0]["sources"] = []
    (tmp_path / "kb" / "topics.yml").write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path / "kb"))
    assert main(["validate"]) == 1
    assert "topic 'what_is_botox' has no source" in capsys.readouterr().err


def test_unreadable_knowledge_gives_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "topics.yml").write_text("topics: [unclosed")
    with pytest.raises(KnowledgeError, match="cannot read the knowledge base"):
        read_knowledge(tmp_path)
