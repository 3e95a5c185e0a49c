"""Custom actions: read the tracker, call bot/, dispatch. No logic lives here."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.config import Settings
from bot.content.answers import disclaimer_from_domain
from bot.content.service import answer_topic, clarify
from bot.safety.replies import compose, load_templates


class ActionAnswerTopic(Action):
    """Answers the topic whose intent the user just expressed (typed or clicked)."""

    def name(self) -> str:
        return "action_answer_topic"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        topic_id = (tracker.latest_message.get("intent") or {}).get("name") or ""
        reply = answer_topic(topic_id, disclaimer_from_domain(domain))
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons, topic=reply.topic)
        return []


class ActionHandleFallback(Action):
    """Low or split confidence: offer the two closest topics, else say what the bot can do."""

    def name(self) -> str:
        return "action_handle_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reply = clarify(tracker.latest_message.get("intent_ranking") or [])
        if reply is None:
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(text=reply.text, buttons=reply.buttons, topic=reply.topic)
        return []


class ActionSafetyReply(Action):
    """The emergency, crisis, urgent-help or personal-advice reply, from data/safety/replies.yml
    with the one EMERGENCY_NUMBERS setting; which one the safety step decided (`safety` in the
    parse data), else the intent (a typed `/personal_advice`)."""

    def name(self) -> str:
        return "action_safety_reply"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        latest = tracker.latest_message or {}
        kind = (latest.get("safety") or {}).get("decision") or ""
        if kind not in ("emergency", "crisis", "urgent_unconfirmed", "personal_advice"):
            kind = (latest.get("intent") or {}).get("name") or "personal_advice"
        settings = Settings.from_env()
        reply = compose(kind, settings.emergency_numbers, load_templates(settings.safety_dir))
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons, topic=reply.topic)
        return []
