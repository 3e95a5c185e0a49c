"""Custom Rasa NLU component: red flags override whatever the classifiers concluded."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.red_flags import RedFlagDetector

EMERGENCY = "emergency"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False, model_from="SpacyNLP"
)
class RedFlagOverride(GraphComponent):
    """Put last in the pipeline: a message with a red flag is `emergency` with confidence 1.0,
    so the emergency reply never depends on a classifier's confidence score."""

    @staticmethod
    def required_components() -> list[type]:
        return [SpacyNLP]

    def __init__(self) -> None:
        self._detector: RedFlagDetector | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagOverride:
        return cls()

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        if self._detector is None:
            self._detector = RedFlagDetector(model.model)
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            detection = self._detector.detect(text)
            if detection.is_emergency:
                override = {"name": EMERGENCY, "confidence": 1.0}
                ranking = message.get(INTENT_RANKING_KEY) or []
                message.set(INTENT, override, add_to_output=True)
                message.set(
                    INTENT_RANKING_KEY,
                    [override, *(r for r in ranking if r.get("name") != EMERGENCY)],
                    add_to_output=True,
                )
                message.set("red_flags", list(detection.flags), add_to_output=True)
        return messages
