"""The domain, rules and knowledge base agree with each other."""

from __future__ import annotations

import json
from typing import Any

import yaml

from bot.config import ROOT
from bot.content.answers import faq_payload
from bot.content.knowledge import KnowledgeBase


def test_the_faq_retrieval_intent_has_a_rule_to_answer_it(domain: dict[str, Any]) -> None:
    rules = yaml.safe_load((ROOT / "data" / "rules" / "faq.yml").read_text())["rules"]
    answered = {
        rule["steps"][0]["intent"]
        for rule in rules
        if rule["steps"][1] == {"action": "action_answer_faq"}
    }
    assert {"faq": {"is_retrieval_intent": True}} in domain["intents"]
    assert "faq_entry" in domain["entities"]
    assert answered == {"faq"}


def test_topic_menus_list_every_topic_overview_with_its_title(
    kb: KnowledgeBase, domain: dict[str, Any]
) -> None:
    expected = [{"title": t.title, "payload": faq_payload(f"{t.id}_overview")} for t in kb.topics]
    for response in ("utter_greet", "utter_capabilities", "utter_out_of_scope"):
        assert domain["responses"][response][0]["buttons"] == expected, response


def test_every_reply_from_the_domain_names_its_topic(domain: dict[str, Any]) -> None:
    for name, variations in domain["responses"].items():
        if name == "utter_disclaimer":
            continue
        for variation in variations:
            assert variation["metadata"]["topic"], name


def test_button_payloads_name_existing_faq_entries(
    kb: KnowledgeBase, domain: dict[str, Any]
) -> None:
    for variations in domain["responses"].values():
        for variation in variations:
            for button in variation.get("buttons", []):
                intent, _, entities = button["payload"].lstrip("/").partition("{")
                assert intent == "faq"
                assert json.loads("{" + entities)["faq_entry"] in kb.entry_ids
