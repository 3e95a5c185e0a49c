"""End to end: real Rasa server + real action server + a real database, over the REST channel."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered

from bot.config import ROOT
from bot.content.answers import faq_payload
from bot.content.knowledge import KnowledgeBase
from bot.ops.serve import BIN, BotServers
from bot.stores.tracker_store import UrlSQLTrackerStore
from tests.support import KNOWLEDGE_DIR, QUESTIONS

# topic -> the entries that answer its plain-words question in tests/support.py QUESTIONS
ENTRIES = {
    "what_is_botox": ("same_as_cosmetic", "what_is_botox_overview"),
    "how_it_works": ("how_it_works_overview",),
    "procedure": ("how_many_injections",),
    "schedule": ("schedule_overview",),
    "eligibility": ("eligibility_overview",),
    "chronic_migraine": ("chronic_migraine_overview",),
    "side_effects": ("side_effects_overview",),
    "effectiveness": ("effectiveness_overview",),
    "other_treatments": ("other_treatments_overview",),
    "cost": ("cost_overview",),
    "see_a_doctor": ("who_gives_it", "how_to_get_referred"),
}


@pytest.mark.parametrize("topic", list(QUESTIONS))
def test_a_question_in_plain_words_gets_the_sourced_answer_with_disclaimer(
    bot: BotServers, topic: str, disclaimer: str
) -> None:
    [message] = bot.ask(f"e2e-{topic}", QUESTIONS[topic])
    assert message["metadata"]["topic"] == topic
    assert message["metadata"]["faq"] in ENTRIES[topic]
    assert "\n\nSource: " in message["text"]
    assert message["text"].endswith(disclaimer)
    assert 2 <= len(message["buttons"]) <= 3


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("do the injections hurt?", "does_it_hurt"),
        ("can I drive home after my botox appointment", "drive_after"),
        ("BOTOX® and breastfeeding?", "pregnancy_breastfeeding"),
        # Personal context first, then a general question: the FAQ answer, not the refusal.
        (
            "I've had migraines for 10 years and tried everything. How many injections do "
            "they give you each time?",
            "how_many_injections",
        ),
        # A practical question the classifier takes for personal advice: the general entry,
        # which tells them to ask their doctor (personal_advice.yml, `practical_entries`).
        ("can I keep taking sumatriptan once I start botox", "keep_current_medicines"),
        # A request for a decision that this entry answers in general ("only your doctor can
        # say", and what it depends on): personal_advice.yml, `decision_entries`.
        ("should i get botox for my migraines", "is_botox_right_for_me"),
        # Money is never medical advice: a cost entry answers, not the refusal.
        (
            "I'm in England and skint - if my consultant puts me forward for the jabs, will I be "
            "landed with a bill?",
            "nhs_do_i_pay",
        ),
        # Text-speak read as the words it stands for (bot/nlu/text_speak.yml).
        ("how ofen do u ned it an for how lng", "schedule_overview"),
        ("wen shud a hedache mean going to a and e", "urgent_help"),
        # Autocorrect's words read as the words meant (bot/nlu/autocorrect.yml).
        ("how often do I need Box injunctions", "schedule_overview"),
        ("is Box safe if your pregnant", "pregnancy_breastfeeding"),
    ],
)
def test_the_question_asked_gets_its_own_entry(
    bot: BotServers, text: str, entry: str, disclaimer: str
) -> None:
    [message] = bot.ask("e2e-entry", text)
    assert message["metadata"]["faq"] == entry
    assert message["text"].endswith(disclaimer)


def test_clicking_a_related_entry_answers_that_entry(bot: BotServers, disclaimer: str) -> None:
    [answer] = bot.ask("e2e-click", QUESTIONS["procedure"])
    button = answer["buttons"][0]
    [followup] = bot.ask("e2e-click", button["payload"])
    assert followup["metadata"]["faq"] == json.loads(button["payload"][4:])["faq_entry"]
    assert followup["text"].endswith(disclaimer)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("hello", "greet"),
        ("are you a real person?", "bot_challenge"),
        ("what can you help me with", "capabilities"),
        ("thanks a lot", "thank"),
        ("bye", "goodbye"),
    ],
)
def test_small_talk_is_handled(bot: BotServers, text: str, topic: str) -> None:
    messages = bot.ask("e2e-chat", text)
    assert [m["metadata"]["topic"] for m in messages] == [topic]


def test_a_question_from_another_domain_gets_the_honest_fallback(
    bot: BotServers, kb: KnowledgeBase
) -> None:
    [message] = bot.ask("e2e-oos", "can you book me a table for two at an italian place")
    assert message["metadata"] == {"topic": "out_of_scope"}
    assert message["text"].startswith("Sorry, I can only help with")
    assert [b["payload"] for b in message["buttons"]] == [
        faq_payload(f"{t}_overview") for t in kb.topic_ids
    ]


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # Worded like FAQ questions, but about another subject or the person's own decision.
        ("what are the side effects of topiramate", "out_of_scope"),
        ("how long does botox for excessive sweating last", "out_of_scope"),
        ("is it ok for me to go skiing the day after my injections", "personal_advice"),
        ("is botox a good idea for someone like me", "personal_advice"),
        ("should i keep taking my propranolol with botox", "personal_advice"),
        # Describing one's own headaches is not an emergency without a red flag.
        ("every day my head throbs behind my eyes", "personal_advice"),
        ("my neck is tight and my head aches every evening", "personal_advice"),
    ],
)
def test_rule_lists_override_a_look_alike_topic(bot: BotServers, text: str, topic: str) -> None:
    messages = bot.ask("e2e-rules", text)
    assert messages[0]["metadata"] == {"topic": topic}
    assert "Source: " not in messages[0]["text"]
    if topic == "personal_advice":
        assert "get urgent medical help now" in messages[0]["text"]


def test_a_did_you_mean_button_is_answered_without_a_guess(
    bot: BotServers, disclaimer: str
) -> None:
    [answer] = bot.ask("e2e-clarify", '/faq{"faq_entry":"nhs_do_i_pay"}')
    assert answer["metadata"] == {"topic": "cost", "faq": "nhs_do_i_pay"}
    assert answer["text"].endswith(disclaimer)


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x02"])
def test_an_empty_message_gets_a_prompt(bot: BotServers, text: str) -> None:
    [message] = bot.ask("e2e-empty", text)
    assert message["metadata"] == {"topic": "empty"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        ('["a list"]', 400),
        ('{"sender": "x"}', 400),
        ('{"message": "hi"}', 400),
        ('{"sender": "x", "message": 42}', 400),
        (json.dumps({"sender": "x", "message": "a" * 100_000}), 413),
    ],
)
def test_malformed_requests_get_a_clear_4xx_and_the_server_keeps_serving(
    bot: BotServers, body: str, status: int
) -> None:
    code, answer = bot.post(body)
    assert code == status
    assert "error" in answer
    assert bot.ask("e2e-after-bad", "hello")[0]["metadata"]["topic"] == "greet"


def test_an_edited_answer_shows_after_reloading_content_without_retraining(
    bot: BotServers, tmp_path: Path
) -> None:
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "kb")
    faq = tmp_path / "kb" / "faq.yml"
    edited = "Edited for the test: costs vary, ask your provider."
    doc = yaml.safe_load(faq.read_text())
    next(e for e in doc["entries"] if e["id"] == "cost_overview")["answer"] = edited
    faq.write_text(yaml.safe_dump(doc))
    env = {**bot.env, "KNOWLEDGE_DIR": str(tmp_path / "kb")}
    try:
        subprocess.run([str(BIN / "faqbot"), "load"], env=env, check=True, cwd=ROOT)
        [message] = bot.ask("e2e-edit", QUESTIONS["cost"])
        assert message["text"].startswith(edited)
    finally:
        subprocess.run([str(BIN / "faqbot"), "load"], env=bot.env, check=True, cwd=ROOT)
    [message] = bot.ask("e2e-edit", QUESTIONS["cost"])
    assert not message["text"].startswith(edited)


def test_a_restart_keeps_the_conversation(bot: BotServers, rasa_domain: Domain) -> None:
    bot.ask("e2e-restart", QUESTIONS["what_is_botox"])
    bot.stop("rasa")
    bot.start_rasa()
    [message] = bot.ask("e2e-restart", QUESTIONS["cost"])
    assert message["metadata"]["topic"] == "cost"
    store = UrlSQLTrackerStore(rasa_domain, host=bot.env["DATABASE_URL"])
    tracker = asyncio.run(store.retrieve("e2e-restart"))
    assert tracker is not None
    said = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert said == [QUESTIONS["what_is_botox"], QUESTIONS["cost"]]
