"""Custom Rasa NLU components: a re-weighted classifier, and red flags that override it."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.red_flags import RedFlagDetector
from bot.speedups import compile_action_response_check

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
        # Loading the model is the one start-up step every Rasa process that serves it shares.
        compile_action_response_check()
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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class WeightedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's logistic regression with a tunable class weighting.

    Rasa's uses class_weight="balanced": each of the ~4,900 out-of-scope examples then weighs
    about 1/45 of a topic example, so anything uncertain leans towards a topic. Weights of
    (n / (k * n_class)) ** class_weight_power soften that (1.0 = balanced, 0.0 = none);
    the power and the regularisation C are chosen by measurement (README).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "class_weight_power": 0.5,
            "C": 1.0,
        }

    def train(self, training_data: TrainingData) -> Resource:
        features, labels = self._create_training_matrix(training_data)
        if features.shape[0] == 0:
            return self._resource
        counts = {label: labels.count(label) for label in set(labels)}
        power = float(self.config["class_weight_power"])
        weights = {
            label: (len(labels) / (len(counts) * count)) ** power for label, count in counts.items()
        }
        self.clf.set_params(class_weight=weights, C=float(self.config["C"]))
        self.clf.fit(features, labels)
        self.persist()
        return self._resource
