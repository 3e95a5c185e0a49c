"""The domain, rules and knowledge base agree with each other."""

from __future__ import annotations

from typing import Any

import yaml

from bot.config import ROOT
from bot.content.knowledge import KnowledgeBase


def test_every_topic_is_an_intent_with_a_rule_to_answer_it(
    kb: KnowledgeBase, domain: dict[str, Any]
) -> None:
    rules = yaml.safe_load((ROOT / "data" / "rules" / "faq.yml").read_text())["rules"]
    answered = {
        rule["steps"][0]["intent"]
        for rule in rules
        if rule["steps"][1] == {"action": "action_answer_topic"}
    }
    assert set(kb.topic_ids) <= set(domain["intents"])
    assert answered == set(kb.topic_ids)


def test_topic_menus_list_every_topic_with_its_title(
    kb: KnowledgeBase, domain: dict[str, Any]
) -> None:
    expected = [{"title": t.title, "payload": f"/{t.id}"} for t in kb.topics]
    for response in ("utter_greet", "utter_capabilities", "utter_out_of_scope"):
        assert domain["responses"][response][0]["buttons"] == expected, response


def test_every_reply_from_the_domain_names_its_topic(domain: dict[str, Any]) -> None:
    for name, variations in domain["responses"].items():
        if name == "utter_disclaimer":
            continue
        for variation in variations:
            assert variation["metadata"]["topic"], name


def test_button_payloads_are_intents(domain: dict[str, Any]) -> None:
    for variations in domain["responses"].values():
        for variation in variations:
            for button in variation.get("buttons", []):
                assert button["payload"].lstrip("/") in domain["intents"]
