"""The domain, rules and knowledge base agree with each other."""

from __future__ import annotations

import json
from typing import Any

import yaml

from bot.config import ROOT
from bot.content.answers import faq_payload
from bot.content.knowledge import KnowledgeBase

DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text())


def test_the_faq_retrieval_intent_has_a_rule_to_answer_it() -> None:
    rules = yaml.safe_load((ROOT / "data" / "rules" / "faq.yml").read_text())["rules"]
    answered = {
        rule["steps"][0]["intent"]
        for rule in rules
        if rule["steps"][1] == {"action": "action_answer_faq"}
    }
    assert {"faq": {"is_retrieval_intent": True}} in DOMAIN["intents"]
    assert "faq_entry" in DOMAIN["entities"]
    assert answered == {"faq"}


def test_topic_menus_list_every_topic_overview_with_its_title(kb: KnowledgeBase) -> None:
    expected = [{"title": t.title, "payload": faq_payload(f"{t.id}_overview")} for t in kb.topics]
    for response in ("utter_greet", "utter_capabilities", "utter_out_of_scope"):
        assert DOMAIN["responses"][response][0]["buttons"] == expected, response


def test_every_reply_from_the_domain_names_its_topic() -> None:
    for name, variations in DOMAIN["responses"].items():
        if name == "utter_disclaimer":
            continue
        for variation in variations:
            assert variation["metadata"]["topic"], name


def test_button_payloads_name_existing_faq_entries(kb: KnowledgeBase) -> None:
    for variations in DOMAIN["responses"].values():
        for variation in variations:
            for button in variation.get("buttons", []):
                intent, _, entities = button["payload"].lstrip("/").partition("{")
                assert intent == "faq"
                assert json.loads("{" + entities)["faq_entry"] in kb.entry_ids
