"""Custom actions: read the tracker, call bot/, dispatch. No logic lives here."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.config import Settings
from bot.content.answers import FAQ_ENTRY_ENTITY, Reply, disclaimer_from_domain
from bot.content.fallback import selector_ranking
from bot.content.knowledge import FAQ_INTENT
from bot.content.service import answer_entry, choose, clarify, engine_for, stored_knowledge
from bot.insights.feedback import VOTE_ENTITY, store_vote, thanks
from bot.safety.replies import compose, load_templates


def _send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons, **reply.metadata)


class ActionAnswerFaq(Action):
    """Answers the FAQ entry a button named (entity `faq_entry`), else the entry selector's
    choice; unsure: "Did you mean" two entries, or the out-of-scope reply."""

    def name(self) -> str:
        return "action_answer_faq"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        disclaimer = disclaimer_from_domain(domain)
        named = next(tracker.get_latest_entity_values(FAQ_ENTRY_ENTITY), None)
        if named:
            _send(dispatcher, answer_entry(str(named), disclaimer))
            return []
        reply = choose(selector_ranking(tracker.latest_message, FAQ_INTENT), disclaimer)
        if reply is None:
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            _send(dispatcher, reply)
        return []


class ActionHandleFallback(Action):
    """Low or split intent confidence: offer the two closest entries, else say what the bot can
    do."""

    def name(self) -> str:
        return "action_handle_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reply = clarify(selector_ranking(tracker.latest_message, FAQ_INTENT))
        if reply is None:
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            _send(dispatcher, reply)
        return []


class ActionSafetyReply(Action):
    """The emergency, crisis, urgent-help or personal-advice reply, from data/safety/replies.yml
    with the one EMERGENCY_NUMBERS setting; which one the safety step decided (`safety` in the
    parse data), else the intent (a typed `/personal_advice`). An emergency that is also a
    crisis gets the crisis reply after the emergency reply."""

    def name(self) -> str:
        return "action_safety_reply"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        latest = tracker.latest_message or {}
        safety = latest.get("safety") or {}
        kind = safety.get("decision") or ""
        if kind not in ("emergency", "crisis", "urgent_unconfirmed", "personal_advice"):
            kind = (latest.get("intent") or {}).get("name") or "personal_advice"
        settings = Settings.from_env()
        templates = load_templates(settings.safety_dir)
        kinds = [kind, "crisis"] if kind == "emergency" and safety.get("crisis_too") else [kind]
        for each in kinds:
            reply = compose(each, settings.emergency_numbers, templates)
            dispatcher.utter_message(text=reply.text, buttons=reply.buttons, topic=reply.topic)
        return []


class ActionRecordFeedback(Action):
    """A "Helpful? Yes / No" click: stores the vote against the answer's topic and entry (one per
    answer; a new click replaces it) and says thanks. Never answered as a question."""

    def name(self) -> str:
        return "action_record_feedback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        vote = str(next(tracker.get_latest_entity_values(VOTE_ENTITY), "") or "")
        entry = str(next(tracker.get_latest_entity_values(FAQ_ENTRY_ENTITY), "") or "")
        url = Settings.from_env().database_url
        stored = stored_knowledge(url)
        topics = stored.topics() if stored else {}
        store_vote(engine_for(url), tracker.sender_id, vote, entry, tracker.events, topics)
        reply = thanks(vote)
        dispatcher.utter_message(text=reply.text, topic=reply.topic)
        return []
