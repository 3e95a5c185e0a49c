"""The emergency and crisis replies when the action server cannot compose them.

Urgent replies come from `action_safety_reply`, on the action server. When a turn produces no
reply (that server down or hung), the channel gives the person the apology; but an emergency or a
crisis must never depend on that server, so the channel asks here first: the same rules and the
same templates, applied in the Rasa server's own process.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from bot.config import Settings
from bot.content.answers import UNAVAILABLE, Reply
from bot.safety.replies import ReplyFile, compose, load_templates
from bot.safety.rules import CompiledRules, fired, load_rules

logger = logging.getLogger(__name__)
URGENT = ("emergency", "crisis")  # the router's order


@lru_cache(maxsize=1)
def _rules() -> tuple[CompiledRules, ReplyFile, str]:
    """The rules on the NLU's own spaCy pipeline, loaded as Rasa loads it (in a serving process,
    the very same one: bot.nlu.rasa_patches.share_spacy_models)."""
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    settings = Settings.from_env()
    nlp: Any = SpacyNLP.load_model(str(settings.spacy_model_dir)).model
    rules = CompiledRules(load_rules(settings.safety_dir), nlp)
    return rules, load_templates(settings.safety_dir), settings.emergency_numbers


def prepare() -> None:
    """Loads the rules at start-up, so the first apology is not slowed down by it."""
    try:
        _rules()
    except Exception as error:  # the apology still works without them
        logger.error("urgent fallback replies unavailable: %r", error)


def reply_without_actions(text: str) -> Reply:
    """The emergency or crisis reply if a rule fires on `text`, else the apology."""
    try:
        rules, templates, numbers = _rules()
        first = fired(rules.check(rules.parse(text)))
    except Exception as error:
        logger.error("urgent fallback replies unavailable: %r", error)
        return UNAVAILABLE
    for kind in URGENT:
        if kind in first:
            return compose(kind, numbers, templates)
    return UNAVAILABLE
