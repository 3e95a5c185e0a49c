"""What every channel shares: reading a bot message the same way everywhere."""

from __future__ import annotations

from typing import Any

from bot.answers import Reply


def message_topic(message: dict[str, Any]) -> str | None:
    """The topic of a bot message: set by an action (`topic=`) or by a response's metadata."""
    return message.get("topic") or (message.get("metadata") or {}).get("topic")


def clean_text(text: str) -> str:
    """Drops control characters (keeping newlines and tabs) that no person typed on purpose."""
    return "".join(c for c in text if c.isprintable() or c in "\n\t")


def reply_from_message(message: dict[str, Any]) -> Reply:
    """The channel-neutral form of a Rasa bot message: text, buttons and topic."""
    return Reply(
        text=message.get("text") or "",
        topic=message_topic(message) or "",
        buttons=list(message.get("buttons") or []),
    )
