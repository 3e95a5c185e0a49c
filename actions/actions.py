"""Custom actions: read the tracker, call bot/, dispatch. No logic lives here."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.content.answers import disclaimer_from_domain
from bot.content.service import answer_topic, clarify


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
