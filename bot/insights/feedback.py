""" "Helpful? Yes / No" under each FAQ answer: the payload the buttons send, and the vote's record.

Every channel offers the two buttons under a bot message that carries an FAQ entry (`faq` in its
metadata). A click sends `/feedback{"vote":"up","faq_entry":"<id>"}`: a payload with a leading
slash, so Rasa takes the intent as written and no NLU guess is involved; the rule in
data/rules/feedback.yml runs action_record_feedback, which stores the vote and says thanks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.content.answers import FAQ_ENTRY_ENTITY, Reply
from bot.insights.store import VOTES, Vote, record_vote

FEEDBACK_INTENT = "feedback"
VOTE_ENTITY = "vote"
FEEDBACK_TOPIC = "feedback"
QUESTION = "Helpful?"
TITLES = {"up": "Yes", "down": "No"}

THANKS = {
    "up": "Thanks for your feedback.",
    "down": "Thanks for telling me. The clinic's staff review answers that did not help.",
}


def feedback_payload(vote: str, entry_id: str) -> str:
    entities = {VOTE_ENTITY: vote, FAQ_ENTRY_ENTITY: entry_id}
    return f"/{FEEDBACK_INTENT}{json.dumps(entities, separators=(',', ':'))}"


def feedback_buttons(entry_id: str) -> list[dict[str, str]]:
    """The Yes and No buttons for the answer to `entry_id`."""
    return [
        {"title": TITLES[vote], "payload": feedback_payload(vote, entry_id), "vote": vote}
        for vote in VOTES
    ]


def thanks(vote: str) -> Reply:
    return Reply(text=THANKS.get(vote, THANKS["up"]), topic=FEEDBACK_TOPIC)


def answered_question(events: Iterable[Mapping[str, Any]], entry_id: str) -> tuple[str, str | None]:
    """(topic, question) of the latest answer to `entry_id` in the conversation: the answer's
    topic, and the words the person typed to get it (None for a button click or no answer)."""
    topic, question, found = "", None, False
    last_user: str | None = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            last_user = str(event.get("text") or "")
        elif kind == "bot":
            meta = event.get("metadata") or {}
            if meta.get("faq") == entry_id:
                found = True
                topic = str(meta.get("topic") or "")
                question = last_user
    if not found or not question or question.startswith("/"):
        return topic, None
    return topic, question


def store_vote(
    engine: Engine,
    sender_id: str,
    vote: str,
    entry_id: str,
    events: Iterable[Mapping[str, Any]],
    entry_topics: Mapping[str, str],
) -> bool:
    """Stores the click; False (nothing stored) for a vote or an entry that does not exist."""
    if vote not in VOTES or entry_id not in entry_topics:
        return False
    topic, question = answered_question(events, entry_id)
    try:
        topic = topic or entry_topics[entry_id]
        record_vote(engine, Vote(sender_id, entry_id, topic, vote, question))
    except SQLAlchemyError as error:
        logging.getLogger(__name__).error("feedback not stored: %s", type(error).__name__)
        return False
    return True
