"""A dense sentence feature for the classifiers: all-MiniLM-L6-v2, run in numpy (bot/nlu/minilm.py).

Put after TokenNormaliser: it encodes the normalised text (the text the classifiers' count
features see), mean-pooled and L2-normalised, times `scale`, as a sentence-level dense feature.
bot.nlu.faq.sentence_features puts it next to the sparse features of the intent classifier; the
FAQ entry selector adds it to its own TF-IDF features.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import ROOT
from bot.nlu import encoder_files
from bot.nlu.faq import normalised_text
from bot.nlu.minilm import SentenceEncoder

logger = logging.getLogger(__name__)

_LOADED: dict[tuple[str, int, int], SentenceEncoder] = {}


def _absolute(directory: Path) -> Path:
    """config.yml's paths are relative to the project (like SpacyNLP's model)."""
    return directory if directory.is_absolute() else ROOT / directory


def drop_loaded_encoders() -> None:
    """Forgets the encoders this process loaded: the main Rasa process, once its workers are
    forked with their own references, holds on to about 16 MB it no longer uses."""
    _LOADED.clear()


def load_encoder(directory: Path, max_length: int = 256, threads: int = 1) -> SentenceEncoder:
    """The encoder of `directory` (`faqbot build-encoder`), its files checked
    (bot/nlu/encoder_files.py), loaded once per process: the embeddings in numpy from the
    word embeddings file, the layers in onnxruntime (8-bit weights) on `threads` threads."""
    directory = _absolute(directory)
    key = (str(directory.resolve()), max_length, threads)
    if key not in _LOADED:
        graph = encoder_files.verify_built(directory)
        _LOADED[key] = SentenceEncoder.from_directory(
            directory, max_length, onnx_file=graph, threads=threads
        )
    return _LOADED[key]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Dense sentence features from all-MiniLM-L6-v2 (384 numbers per message)."""

    @staticmethod
    def required_components() -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "model": "var/encoder/all-MiniLM-L6-v2",
            "scale": 3.0,
            "max_length": 256,
            # training only: the examples in batches on this many threads (the same vectors)
            "training_batch_size": 32,
            "training_threads": 2,
        }

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.scale = float(self._config["scale"])
        self.encoder = load_encoder(Path(self._config["model"]), int(self._config["max_length"]))

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config.get("scale", 1.0)) <= 0:
            raise ValueError("MiniLMFeaturizer: scale must be positive")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The files are not Rasa training data or config: without this, Rasa's training cache
        would keep the features of another build (its manifest names the weights and the graph)."""
        directory = _absolute(Path(config.get("model") or cls.get_default_config()["model"]))
        try:
            return (directory / encoder_files.MANIFEST_FILE).read_text(encoding="utf-8")
        except OSError:
            return None

    def _featurize(self, messages: list[Message], training: bool = False) -> None:
        messages = [m for m in messages if m.get(TEXT)]
        if not messages:
            return
        texts = [normalised_text(m) for m in messages]
        if training:
            encoder = load_encoder(
                Path(self._config["model"]),
                int(self._config["max_length"]),
                int(self._config["training_threads"]),
            )
            vectors = encoder.encode(texts, int(self._config["training_batch_size"]))
        else:
            vectors = self.encoder.encode(texts)
        vectors *= np.float32(self.scale)
        for message, vector in zip(messages, vectors, strict=True):
            message.add_features(
                Features(vector[None, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples, training=True)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
