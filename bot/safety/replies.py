"""The urgent replies (emergency, crisis, urgent_unconfirmed, personal_advice), composed from the
templates in data/safety/replies.yml with the one emergency-numbers setting."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Extra, validator

from bot.content.answers import Reply
from bot.safety.rules import SAFE_LOADER

KINDS = ("emergency", "crisis", "urgent_unconfirmed", "personal_advice")
PLACEHOLDER = "{emergency_numbers}"


class Button(BaseModel, extra=Extra.forbid):
    title: str
    payload: str


class Template(BaseModel, extra=Extra.forbid):
    topic: str
    text: str
    buttons: list[Button] = []

    @validator("text")
    def _only_the_numbers_placeholder(cls, value: str) -> str:  # noqa: N805
        try:
            value.format(emergency_numbers="")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"only {PLACEHOLDER} may be filled in: {error}") from error
        return value


class ReplyFile(BaseModel, extra=Extra.forbid):
    version: Literal[1]
    replies: dict[str, Template]

    @validator("replies")
    def _every_kind(cls, value: dict[str, Template]) -> dict[str, Template]:  # noqa: N805
        missing = sorted(set(KINDS) - set(value))
        if missing:
            raise ValueError(f"replies missing: {missing}")
        return value


def load_templates(directory: Path) -> ReplyFile:
    path = directory / "replies.yml"
    return ReplyFile.parse_obj(yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER))


def compose(kind: str, emergency_numbers: str, templates: ReplyFile) -> Reply:
    """The reply of `kind` (one of KINDS; anything else gets the personal-advice refusal)."""
    template = templates.replies.get(kind) or templates.replies["personal_advice"]
    return Reply(
        text=template.text.format(emergency_numbers=emergency_numbers),
        topic=template.topic,
        buttons=[button.dict() for button in template.buttons],
    )
