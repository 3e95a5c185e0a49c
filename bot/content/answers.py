"""Turns a stored topic into the message a person reads, on any channel."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.content.knowledge import FAQ_INTENT, EntryAnswer, TopicAnswer

# The entity a button sends to name the entry it wants answered.
FAQ_ENTRY_ENTITY = "faq_entry"


@dataclass(frozen=True)
class Reply:
    text: str
    topic: str
    buttons: list[dict[str, Any]] = field(default_factory=list)
    faq: str | None = None

    @property
    def metadata(self) -> dict[str, str]:
        """What goes with the message: its topic, and for an FAQ answer the entry's id."""
        return {"topic": self.topic} if self.faq is None else {"topic": self.topic, "faq": self.faq}


def faq_payload(entry_id: str) -> str:
    """A payload that names the entry, so a click is answered without any NLU guess."""
    return f"/{FAQ_INTENT}{json.dumps({FAQ_ENTRY_ENTITY: entry_id}, separators=(',', ':'))}"


def faq_button(entry_id: str, question: str) -> dict[str, Any]:
    return {"title": question, "payload": faq_payload(entry_id)}


def topic_button(topic_id: str, title: str) -> dict[str, Any]:
    """A button whose payload triggers the topic's intent directly (no NLU guess involved)."""
    return {"title": title, "payload": f"/{topic_id}"}


def source_line(topic: TopicAnswer | EntryAnswer) -> str:
    cites = "; ".join(
        f"{source.cite} ({source.url})" if source.url else source.cite for source in topic.sources
    )
    return f"Source: {cites}."


def compose_answer(topic: TopicAnswer, disclaimer: str) -> Reply:
    """Answer, source line and the disclaimer verbatim, with the related topics as buttons."""
    text = "\n\n".join([topic.answer, source_line(topic), disclaimer])
    buttons = [topic_button(related.id, related.title) for related in topic.related]
    return Reply(text=text, topic=topic.id, buttons=buttons)


def compose_entry_answer(entry: EntryAnswer, disclaimer: str) -> Reply:
    """The entry's answer, its source line and the disclaimer verbatim, with the related entries
    as buttons that name them."""
    text = "\n\n".join([entry.answer, source_line(entry), disclaimer])
    buttons = [faq_button(related.id, related.question) for related in entry.related]
    return Reply(text=text, topic=entry.topic, buttons=buttons, faq=entry.id)


def disclaimer_from_domain(domain: dict[str, Any]) -> str:
    """The text of `utter_disclaimer`, the single place the disclaimer is written."""
    return str(domain["responses"]["utter_disclaimer"][0]["text"])


UNAVAILABLE = Reply(
    text=(
        "Sorry, I can't reach my information right now, so I can't answer that safely. "
        "Please try again in a few minutes. If you feel unwell, contact your doctor, and in an "
        "emergency call your local emergency number (999, 911 or 112)."
    ),
    topic="unavailable",
)

EMPTY_MESSAGE = Reply(
    text="I didn't get a question there. Type a question about Botox for chronic migraine, "
    'for example: "What is Botox?" or "What are the side effects?"',
    topic="empty",
)
