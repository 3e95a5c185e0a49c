"""Custom Rasa NLU components: a re-weighted classifier, and the rule lists that override it.

The overrides run in this order after the classifier, each able to replace what came before:
off-topic subjects (out of scope), requests for a personal decision (the refusal), red flags
(the emergency reply). Each list lives in its own module, written to be reviewed.
"""

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

from bot.nlu.rasa_patches import compile_action_response_check
from bot.safety.off_topic import OffTopicDetector
from bot.safety.personal_advice import PersonalAdviceDetector
from bot.safety.red_flags import RedFlagDetector

EMERGENCY = "emergency"
OUT_OF_SCOPE = "out_of_scope"
PERSONAL_ADVICE = "personal_advice"


class _RuleOverride(GraphComponent):
    """Sets the intent, with confidence 1.0, when `_rule` finds something in the message, and
    adds what it found to the parse output (under `output_key`) so it shows in logs and tests."""

    intent = ""
    output_key = ""

    @staticmethod
    def required_components() -> list[type]:
        return [SpacyNLP]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _RuleOverride:
        # Loading the model is the one start-up step every Rasa process that serves it shares
        # (idempotent, so it does not matter that each override does it).
        compile_action_response_check()
        return cls()

    def _rule(self, text: str, intent: str | None, model: SpacyModel) -> tuple[str, ...]:
        raise NotImplementedError

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = self._rule(text, (message.get(INTENT) or {}).get("name"), model)
            if not found:
                continue
            override = {"name": self.intent, "confidence": 1.0}
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT, override, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [override, *(r for r in ranking if r.get("name") != self.intent)],
                add_to_output=True,
            )
            message.set(self.output_key, list(found), add_to_output=True)
        return messages


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False, model_from="SpacyNLP"
)
class OffTopicOverride(_RuleOverride):
    """A message about a subject the FAQ does not cover (bot/safety/off_topic.py) is `out_of_scope`,
    whatever topic its wording resembles; a refusal or an emergency reply is left alone."""

    intent = OUT_OF_SCOPE
    output_key = "off_topic"
    _detector: OffTopicDetector | None = None

    def _rule(self, text: str, intent: str | None, model: SpacyModel) -> tuple[str, ...]:
        if intent in (PERSONAL_ADVICE, EMERGENCY):
            return ()
        if self._detector is None:
            self._detector = OffTopicDetector(model.model)
        return self._detector.subjects_in(text, intent)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False, model_from="SpacyNLP"
)
class PersonalAdviceOverride(_RuleOverride):
    """A message asking the bot to decide for the person (bot/safety/personal_advice.py) gets the
    refusal, even when its wording resembles an FAQ topic (a red flag still wins: it runs after)."""

    intent = PERSONAL_ADVICE
    output_key = "personal_advice"
    _detector: PersonalAdviceDetector | None = None

    def _rule(self, text: str, intent: str | None, model: SpacyModel) -> tuple[str, ...]:
        if self._detector is None:
            self._detector = PersonalAdviceDetector(model.model)
        return self._detector.kinds_in(text)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False, model_from="SpacyNLP"
)
class RedFlagOverride(_RuleOverride):
    """Put last in the pipeline: a message with a red flag is `emergency` with confidence 1.0,
    so the emergency reply never depends on a classifier's confidence score."""

    intent = EMERGENCY
    output_key = "red_flags"
    _detector: RedFlagDetector | None = None

    def _rule(self, text: str, intent: str | None, model: SpacyModel) -> tuple[str, ...]:
        if self._detector is None:
            self._detector = RedFlagDetector(model.model)
        return self._detector.detect(text).flags

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        """Only a red flag gives the emergency reply. The classifier also says `emergency` for
        everyday descriptions ("my head throbs every evening"), which for people with chronic
        migraine would be a false alarm a day: without a red flag such a message gets the
        personal-advice reply, which says it cannot assess symptoms and when to get urgent help."""
        for message in super().process(messages, model):
            intent = message.get(INTENT) or {}
            if intent.get("name") == EMERGENCY and not message.get(self.output_key):
                message.set(INTENT, {**intent, "name": PERSONAL_ADVICE}, add_to_output=True)
                message.set("unconfirmed_emergency", True, add_to_output=True)
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
