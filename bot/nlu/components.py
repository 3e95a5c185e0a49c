"""Custom Rasa NLU components: a re-weighted classifier, and the one safety step after it.

SafetyRouter is thin: the order (emergency rule > crisis rule > second net > personal advice >
off-topic > classifier) and the rules live in bot/safety/ (router.py, rules.py, net.py), which
need no Rasa. It reads the rule files (data/safety/*.yml) and trains the second net at `rasa train`
time, and keeps both in Rasa's model storage, so a model always runs the rules it was trained with.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections import Counter
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    RESPONSE_SELECTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.exceptions import ConvergenceWarning

from bot.config import Settings
from bot.nlu.compact import compact_weights
from bot.nlu.faq import sentence_features, stacked
from bot.nlu.rasa_patches import cache_event_types, compile_action_response_check
from bot.safety.net import SafetyNet, train_net
from bot.safety.router import SafetyCheck
from bot.safety.rules import CompiledRules, RuleBook, load_rules

logger = logging.getLogger(__name__)
SAFETY_KEY = "safety"
RULES_FILE = "rules.json"
NET_FILE = "net.pickle"


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _answer_key(message: Message) -> str | None:
    """For an FAQ question, the entry the selector chose (`faq/<id>`): off-topic rules name the
    entries that already answer their subject."""
    intent = (message.get(INTENT) or {}).get("name")
    selected = ((message.get(RESPONSE_SELECTOR) or {}).get(intent) or {}).get("response") or {}
    return selected.get(INTENT_RESPONSE_KEY) or None


def _entry_choice(message: Message, retrieval_intent: str = "faq") -> tuple[str, float] | None:
    """The entry selector's best entry (`faq/<id>`) and its confidence, whatever the intent:
    a practical entry can answer what the classifier took for personal advice."""
    selected = ((message.get(RESPONSE_SELECTOR) or {}).get(retrieval_intent) or {}).get(
        "response"
    ) or {}
    key = selected.get(INTENT_RESPONSE_KEY)
    return (key, float(selected.get("confidence") or 0.0)) if key else None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True, model_from="SpacyNLP"
)
class SafetyRouter(GraphComponent):
    """Put after the classifier and FallbackClassifier. Sets the intent (confidence 1.0 when a
    rule or the net decides) and writes what decided under `safety` in the parse output:
    {decision, by, rule, category, phrase, score}, visible in the tracker."""

    @staticmethod
    def required_components() -> list[type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "target_recall": 0.97,
            "min_threshold": 0.3,
            "max_fpr": 0.002,
            "max_fpr_everyday": 0.015,
            "crisis_max_fpr_everyday": 0.01,
            "C": 16.0,
            "folds": 5,
            # reviewed thresholds (None: cross-validation chooses at each training)
            "threshold": None,
            "crisis_threshold": None,
            # the net on single sentences of long messages, and on short messages naming a
            # specific sign, at these thresholds (1.0: never); on messages naming no sign told
            # as now (0.0: the message threshold) (bot/safety/router.py, step 3)
            "sentence_threshold": 1.0,
            "sentence_min_chars": 200,
            "sign_threshold": 1.0,
            "no_sign_threshold": 0.0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        book: RuleBook | None = None,
        net: SafetyNet | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._book = book
        self._net = net
        self._check: SafetyCheck | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyRouter:
        compile_action_response_check()
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The rule files and the net's data are not Rasa training data: without this, Rasa's
        training cache would keep serving the rules of an earlier `rasa train` after an edit."""
        safety_dir = Settings.from_env().safety_dir
        digest = hashlib.sha256()
        for path in sorted(p for p in safety_dir.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(safety_dir)).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def train(self, training_data: TrainingData, model: SpacyModel | None = None) -> Resource:
        safety_dir = Settings.from_env().safety_dir
        book = load_rules(safety_dir)
        examples = [
            (m.get(TEXT), m.get(INTENT)) for m in training_data.intent_examples if m.get(TEXT)
        ]
        net = train_net(
            safety_dir / "net",
            examples,
            target_recall=float(self._config["target_recall"]),
            min_threshold=float(self._config["min_threshold"]),
            folds=int(self._config["folds"]),
            c=float(self._config["C"]),
            max_fpr=float(self._config["max_fpr"]),
            max_fpr_everyday=float(self._config["max_fpr_everyday"]),
            crisis_max_fpr_everyday=float(self._config["crisis_max_fpr_everyday"]),
            threshold=_optional_float(self._config.get("threshold")),
            crisis_threshold=_optional_float(self._config.get("crisis_threshold")),
            sentence_threshold=float(self._config["sentence_threshold"]),
            sentence_min_chars=int(self._config["sentence_min_chars"]),
            sign_threshold=float(self._config["sign_threshold"]),
            no_sign_threshold=float(self._config["no_sign_threshold"]),
        )
        if net.report is not None:
            logger.info("%s", net.report.format())
        if net.crisis_report is not None:
            logger.info("%s", net.crisis_report.format())
        with self._model_storage.write_to(self._resource) as directory:
            (directory / RULES_FILE).write_text(json.dumps(book.to_json()), encoding="utf-8")
            net.save(directory / NET_FILE)
        self._book, self._net = book, net
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SafetyRouter:
        compile_action_response_check()
        cache_event_types()
        with model_storage.read_from(resource) as directory:
            book = RuleBook.from_json(json.loads((directory / RULES_FILE).read_text("utf-8")))
            net = SafetyNet.load(directory / NET_FILE)
        return cls(config, model_storage, resource, book, net)

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        if self._check is None:
            book = self._book or load_rules(Settings.from_env().safety_dir)
            self._check = SafetyCheck(CompiledRules(book, model.model), self._net)
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            intent = message.get(INTENT) or {}
            decision, _ = self._check.decide(
                text,
                intent.get("name"),
                message.get("text_spacy_doc"),
                _answer_key(message),
                _entry_choice(message),
            )
            message.set(SAFETY_KEY, decision.as_output(), add_to_output=True)
            # Only a rule, the net, or an unconfirmed emergency changes the classifier's intent.
            if not decision.overrides or decision.intent == intent.get("name"):
                continue
            confidence = 1.0 if decision.by in ("rule", "net") else intent.get("confidence", 1.0)
            override = {"name": decision.intent, "confidence": confidence}
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT, override, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [override, *(r for r in ranking if r.get("name") != decision.intent)],
                add_to_output=True,
            )
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class WeightedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's logistic regression with a tunable class weighting.

    Rasa's uses class_weight="balanced": each of the ~4,900 out-of-scope examples then weighs
    about 1/45 of a chit-chat example, so anything uncertain leans away from out of scope.
    Weights of (n / (k * n_intent)) ** class_weight_power soften that (1.0 = balanced, 0.0 =
    none); the power and the regularisation C are chosen by measurement (docs/evaluation.md).
    The FAQ is one intent (`faq`, its entries are the selector's job): counting the weights per
    entry instead made personal-advice and near-domain questions lean to the FAQ.
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
        counts = Counter(labels)
        power = float(self.config["class_weight_power"])
        weights = {
            label: (len(labels) / (len(counts) * count)) ** power for label, count in counts.items()
        }
        self.clf.set_params(class_weight=weights, C=float(self.config["C"]))
        with warnings.catch_warnings():
            # config.yml stops L-BFGS at `max_iter` on purpose, short of full convergence.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.clf.fit(features, labels)
        compact_weights(self.clf)
        self.persist()
        return self._resource

    def _create_X(self, messages: list[Message]) -> Any:  # noqa: N802 (Rasa's name)
        """Rasa's feature matrix (sparse and dense sentence features side by side), built
        without scipy's general stacking when there is nothing to stack (bot.nlu.faq)."""
        return stacked([sentence_features(message) for message in messages])

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> WeightedLogisticRegressionClassifier:
        """Rasa's, with the weights as float32 in Fortran order (bot.nlu.compact.compact_weights):
        the same predictions without a copy of the weight matrix per message."""
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        compact_weights(component.clf)
        return component
