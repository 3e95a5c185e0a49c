"""FAQ components: a token normaliser before the featurizers, and the FAQ entry selector.

The selector follows Rasa's FAQ convention (retrieval intents `faq/<entry>`, output in the
`response_selector` format) with scikit-learn instead of Rasa's TensorFlow ResponseSelector.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RESPONSE_KEY,
    RESPONSE_SELECTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.compact import compact_weights, forget_stop_words
from bot.nlu.spelling import SpellingCorrector


def sentence_features(message: Message) -> scipy.sparse.csr_matrix:
    """The message's sentence-level features, sparse and dense side by side: what Rasa's
    LogisticRegressionClassifier uses, so one more dense featurizer (a sentence encoder) in
    config.yml reaches both classifiers with no code change.

    As float32, the dtype of the classifiers' weights (compact_weights): scipy would otherwise
    convert the whole weight matrix to float64 for every message. Without dense features the
    sparse ones alone: the same matrix, without scipy's general stacking (profiled: most of both
    classifiers' time per message)."""
    sparse = message.get_sparse_features(TEXT)[1]
    dense = message.get_dense_features(TEXT)[1]
    if sparse is not None and dense is None:
        return scipy.sparse.csr_matrix(sparse.features, dtype=np.float32)
    return scipy.sparse.hstack(
        [
            scipy.sparse.csr_matrix(sparse.features if sparse else []),
            scipy.sparse.csr_matrix(dense.features if dense else []),
        ],
        format="csr",
        dtype=np.float32,
    )


def stacked(rows: list[scipy.sparse.csr_matrix]) -> scipy.sparse.csr_matrix:
    """The rows one under the other; a single row as it is (Rasa parses one message at a time)."""
    return rows[0] if len(rows) == 1 else scipy.sparse.vstack(rows).tocsr()


BRAND_MARKS = re.compile("[\u00ae\u2122\u00a9\u2120]")
# A letter's greeting and sign-off ("Dear Madam, ... Yours faithfully, Mrs M. Dimmock"): the frame
# of the question, not its words. The greeting names whom it greets (a title, or a capital: "Dear
# Dr Shah,"; not "dear god my head,"); the sign-off starts a sentence and runs to the end.
LETTER_OPENING = re.compile(
    r"^\s*(?:dear|to whom it may concern)\b(?:\s+(?:(?:sir|sirs|madam|team|doctor|dr|all|everyone|"
    r"nurse|nurses|colleagues|friends|clinic|mr|mrs|ms|miss|mx|prof|professor)\b|(?-i:[A-Z]))"
    r"[^,:;!?\n]{0,30})?\s*[,:;!\n]",
    re.IGNORECASE,
)
LETTER_CLOSING = re.compile(
    r"(?:^|(?<=[.!?\n]))\s*(?:yours(?:\s+(?:faithfully|sincerely|truly|respectfully))?|"
    r"(?:kind|best|warm|warmest|many)\s+(?:regards|wishes|thanks)|regards|with thanks|"
    r"thanks in advance|sincerely|respectfully)\b[^?]{0,60}$",
    re.IGNORECASE,
)
# The letter's polite request ("I should be grateful if you could tell me whether ..."): its
# frame too, not a request for a personal decision.
POLITE_REQUEST = re.compile(
    r"\b(?:i|we)\s*(?:should|would|'d)\s+be\s+(?:most\s+|very\s+|so\s+)?grateful\s+if\s+"
    r"(?:you|someone|somebody|anyone)\s+(?:could|would|can|might)\s+(?:please\s+)?(?:kindly\s+)?"
    r"(?:tell|let|advise|explain|inform|confirm)(?:\s+(?:me|us))?(?:\s+know)?\b",
    re.IGNORECASE,
)
# A message that is little more than its frame ("Dear team, thanks!") keeps every token.
LETTER_MIN_TOKENS = 3
QUESTION_START = frozenset(
    "what whats how hows why when where which who whom whose is are am was were do does did "
    "can could will would should shall may might has have had any anyone".split()
)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True, model_from="SpacyNLP"
)
class TokenNormaliser(GraphComponent):
    """Runs after the tokenizer, before the featurizers, and changes only the tokens they count
    (the message text, which the safety rules read, stays as written):

    - `brand_marks`: drops "(R)", "(TM)" marks ("BOTOX(R)" counts as "botox");
    - `text_speak`: chat shorthand becomes the word it stands for ("wen" is "when", "u" is
      "you"; the reviewed list in text_speak.yml), in training and in use;
    - `autocorrect`: a word a phone's autocorrect put for ours becomes the word meant ("Box"
      is "botox", "migrant" is "migraine"; autocorrect.yml), in training and in use;
    - `spelling`: a token that is not an English word (symspellpy's bundled frequency
      dictionary) and is not a training word, or only a rare one next to a common one (a typo
      the training data repeats: "migranes"), becomes the closest training word, if one is
      within edit distance 1 (2 for words of 8+ letters) (bot/nlu/spelling.py);
    - `letter_frame`: a letter's greeting and sign-off ("Dear Madam," ... "Yours faithfully,
      Mrs M. Dimmock") are not counted, so the formal frame does not outweigh the question;
    - `question_focus`: in a message of several sentences, the tokens of its question
      sentence(s) are counted once more, so a question after personal context weighs more than
      the context.
    Each is switched in config.yml; README, "Evaluation" has what each gave.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "brand_marks": True,
            "letter_frame": True,
            "text_speak": True,
            "autocorrect": True,
            "spelling": True,
            "question_focus": True,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: dict[str, int] | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary or {}
        self._corrector: SpellingCorrector | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TokenNormaliser:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TokenNormaliser:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        except (ValueError, OSError):
            words = {}
        return cls(config, model_storage, resource, {str(w): int(n) for w, n in words.items()})

    def train(self, training_data: TrainingData, model: SpacyModel) -> Resource:
        """The training words and how often each occurs: a rare one next to a common one is
        a typo the corrector may fix ("botx" 4 times, "botox" 3,588)."""
        words: Counter[str] = Counter()
        for message in training_data.training_examples:
            for token in message.get(TOKENS_NAMES[TEXT]) or []:
                words[token.text.lower()] += 1
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "vocabulary.json").write_text(
                json.dumps(dict(sorted(words.items()))), "utf-8"
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData, model: SpacyModel) -> TrainingData:
        self._normalise(training_data.training_examples, model, correct=False)
        return training_data

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        self._normalise(messages, model, correct=bool(self.config["spelling"]))
        return messages

    @staticmethod
    def _lookup(word: str, model: SpacyModel) -> str:
        lemmatizer: Any = model.model.get_pipe("lemmatizer")
        table = lemmatizer.lookups.get_table("lemma_lookup")
        return str(table.get(word, word))

    def _normalise(self, messages: list[Message], model: SpacyModel, correct: bool) -> None:
        if correct and self._corrector is None and self.vocabulary:
            self._corrector = SpellingCorrector(self.vocabulary)
        for message in messages:
            tokens: list[Token] | None = message.get(TOKENS_NAMES[TEXT])
            if not tokens:
                continue
            if self.config["brand_marks"]:
                tokens = self._without_marks(tokens)
            text = str(message.get(TEXT) or "")
            if self.config["autocorrect"]:
                tokens = self._joined(tokens)
            if self.config["letter_frame"]:
                tokens = self._without_letter_frame(tokens, text)
            for token in tokens:
                word = self._word_meant(token, text)
                if word is not None:
                    token.text, token.lemma = word, self._lookup(word, model)
            if correct and self._corrector is not None:
                for token in tokens:
                    fixed = self._corrector.correct(token.text.lower())
                    if fixed is not None:
                        token.text, token.lemma = fixed, self._lookup(fixed, model)
            if self.config["question_focus"]:
                tokens = tokens + self._question_tokens(message, tokens)
            message.set(TOKENS_NAMES[TEXT], tokens)

    def _word_meant(self, token: Token, text: str) -> str | None:
        """The word a shorthand or an autocorrect slip stands for, if the token is one. The
        autocorrect table is read against the token as typed: SpacyNLP hands the tokenizer
        lower-case text, and only a capital "Box" is Botox."""
        if self.config["text_speak"] and (word := text_speak().get(token.text.lower())):
            return word
        if self.config["autocorrect"]:
            typed = text[token.start : token.end]
            return autocorrect().get(typed, autocorrect().get(typed.lower()))
        return None

    @staticmethod
    def _joined(tokens: list[Token]) -> list[Token]:
        """Two tokens that dictation made of one of ours ("bo tox", "my grains"): the keys of
        autocorrect.yml with a space become one token, the word meant."""
        pairs = dictated_pairs()
        joined: list[Token] = []
        i = 0
        while i < len(tokens):
            pair = " ".join(t.text.lower() for t in tokens[i : i + 2])
            if i + 1 < len(tokens) and (meant := pairs.get(pair)):
                joined.append(Token(meant, tokens[i].start, tokens[i + 1].end, lemma=meant))
                i += 2
            else:
                joined.append(tokens[i])
                i += 1
        return joined

    @staticmethod
    def _without_marks(tokens: list[Token]) -> list[Token]:
        kept = []
        for token in tokens:
            text = BRAND_MARKS.sub("", token.text)
            if not text.strip():
                continue
            if text != token.text:
                token.text, token.lemma = text, BRAND_MARKS.sub("", token.lemma)
            kept.append(token)
        return kept

    @staticmethod
    def _without_letter_frame(tokens: list[Token], text: str) -> list[Token]:
        """The tokens without the letter's greeting, polite request and sign-off, when a
        question is left."""
        opening = LETTER_OPENING.match(text)
        closing = LETTER_CLOSING.search(text)
        start = opening.end() if opening else 0
        end = closing.start() if closing else len(text)
        requests = [found.span() for found in POLITE_REQUEST.finditer(text)]
        kept = [
            t
            for t in tokens
            if start <= t.start < end and not any(a <= t.start < b for a, b in requests)
        ]
        return kept if len(kept) >= LETTER_MIN_TOKENS else tokens

    @staticmethod
    def _question_tokens(message: Message, tokens: list[Token]) -> list[Token]:
        """The tokens of the question sentences when the message has other sentences too."""
        doc = message.get(SPACY_DOCS[TEXT])
        if doc is None:
            return []
        sentences = [s for s in doc.sents if s.text.strip()]
        if len(sentences) < 2:
            return []
        questions = [
            s
            for s in sentences
            if s.text.rstrip().endswith("?") or s[0].lower_.strip() in QUESTION_START
        ]
        if not questions or len(questions) == len(sentences):
            return []
        spans = [(s.start_char, s.end_char) for s in questions]
        return [
            Token(t.text, t.start, t.end, data=dict(t.data), lemma=t.lemma)
            for t in tokens
            if any(start <= t.start < end for start, end in spans)
        ]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FaqEntrySelector(GraphComponent):
    """Picks the FAQ entry of a message: Rasa's ResponseSelector's data and output, with
    scikit-learn instead of TensorFlow.

    Trained on the examples of the retrieval intent (`faq/<entry id>` in the NLU data). Its own
    features: TF-IDF of word 1-2-grams and character 2-5-grams (sublinear counts) over the
    normalised tokens (TokenNormaliser: brand marks dropped, typos corrected, question sentences
    counted twice), and the messages' dense sentence features when the pipeline has a sentence
    encoder (bot/nlu/encoder.py; `dense_features`); a linear model over them. On the
    development sets the TF-IDF features beat the shared count features by 3 points, and the
    encoder's vector added 2 to 3 more on the earlier blind set (docs/evaluation.md).
    Writes Rasa's `response_selector` output:
    {"all_retrieval_intents": ["faq"], "faq": {"response": {"intent_response_key": "faq/<id>",
    "confidence": ..., ...}, "ranking": [{"intent_response_key": ..., "confidence": ...}, ...]}}
    """

    @staticmethod
    def required_components() -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "retrieval_intent": "faq",
            "C": 30.0,
            "max_iter": 1000,
            "ranking_length": 10,
            # dense sentence features (a sentence encoder's) next to the TF-IDF ones
            "dense_features": True,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Any = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqEntrySelector:
        return cls(config, model_storage, resource)

    @property
    def retrieval_intent(self) -> str:
        return str(self.config["retrieval_intent"])

    def _new_model(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        return make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=False),
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                    lowercase=False,
                ),
            ),
            LogisticRegression(
                C=float(self.config["C"]),
                solver="liblinear",
                max_iter=int(self.config["max_iter"]),
                random_state=42,
            ),
        )  # fmt: skip

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            m
            for m in training_data.intent_examples
            if m.get(INTENT) == self.retrieval_intent and m.get(INTENT_RESPONSE_KEY)
        ]
        if not examples:
            return self._resource
        self.model = self._new_model()
        fit_one_vs_rest(
            self.model[-1],
            self._features(examples, fit=True),
            [m.get(INTENT_RESPONSE_KEY) for m in examples],
        )
        forget_stop_words(self.model[0])
        compact_weights(self.model[-1])
        self.persist()
        return self._resource

    def _features(self, messages: list[Message], fit: bool = False) -> scipy.sparse.csr_matrix:
        """The TF-IDF features of the normalised texts, and the messages' dense sentence features
        (a sentence encoder in config.yml: bot/nlu/encoder.py) beside them when they have any;
        float32, as the weights (compact_weights)."""
        texts = [normalised_text(m) for m in messages]
        union = self.model[0]
        sparse = union.fit_transform(texts) if fit else union.transform(texts)
        dense = [m.get_dense_features(TEXT)[1] for m in messages]
        if not self.config["dense_features"] or any(d is None for d in dense):
            return sparse.astype(np.float32)
        return scipy.sparse.hstack(
            [sparse, scipy.sparse.csr_matrix(np.vstack([d.features for d in dense]))],
            format="csr",
            dtype=np.float32,
        )

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self.model, directory / "faq_entry_selector.skops")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FaqEntrySelector:
        import skops.io as sio

        try:
            with model_storage.read_from(resource) as directory:
                path = directory / "faq_entry_selector.skops"
                # Our own file, trusted whole: as trusting each type it holds (the list of which
                # took two thirds of the load's 1.2 s).
                model = sio.load(path, trusted=True)
        except (ValueError, OSError):
            return cls(config, model_storage, resource)
        compact_weights(model[-1])  # the pipeline's linear model
        return cls(config, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        probabilities = self.model[-1].predict_proba(self._features(messages))
        labels = self.model.classes_
        length = int(self.config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)[:length]
            ranking = [
                {"id": int(i), "confidence": float(row[i]), INTENT_RESPONSE_KEY: str(labels[i])}
                for i in order
            ]
            best = ranking[0]
            key = best[INTENT_RESPONSE_KEY]
            output = dict(message.get(RESPONSE_SELECTOR) or {})
            output["all_retrieval_intents"] = [self.retrieval_intent]
            output[self.retrieval_intent] = {
                "response": {
                    "responses": [],
                    "confidence": best["confidence"],
                    INTENT_RESPONSE_KEY: key,
                    "utter_action": f"utter_{key}",
                },
                "ranking": ranking,
            }
            message.set(RESPONSE_SELECTOR, output, add_to_output=True)
        return messages


def fit_one_vs_rest(model: Any, x: Any, labels: list[str]) -> Any:
    """Fits `model` (a liblinear LogisticRegression) with one class against the rest per job, on
    every core: liblinear fits the classes one after another, on one core (48 of the FAQ
    selector's 63 s of training). The weights are the same to 1e-14 (each class is the same
    binary problem), so are the probabilities (checked on random data: 1.4x faster on 2 cores)."""
    from joblib import Parallel, delayed
    from sklearn.base import clone

    y = np.asarray(labels)
    classes = np.unique(y)
    fits = Parallel(n_jobs=-1)(delayed(clone(model).fit)(x, y == label) for label in classes)
    model.classes_ = classes
    model.coef_ = np.vstack([fit.coef_ for fit in fits])
    model.intercept_ = np.concatenate([fit.intercept_ for fit in fits])
    model.n_iter_ = np.concatenate([fit.n_iter_ for fit in fits])
    model.n_features_in_ = x.shape[1]
    return model


@lru_cache(maxsize=1)
def text_speak() -> dict[str, str]:
    """Shorthand -> the word it stands for (text_speak.yml, beside this module)."""
    import yaml

    table = yaml.safe_load((Path(__file__).parent / "text_speak.yml").read_text(encoding="utf-8"))
    return {str(short).lower(): str(word) for short, word in table.items()}


@lru_cache(maxsize=1)
def autocorrect() -> dict[str, str]:
    """Autocorrect's word -> the word meant (autocorrect.yml, beside this module). Keys keep
    their case: one with a capital matches only that case, a lower-case one any case."""
    import yaml

    table = yaml.safe_load((Path(__file__).parent / "autocorrect.yml").read_text(encoding="utf-8"))
    return {str(typed): str(meant) for typed, meant in table.items()}


@lru_cache(maxsize=1)
def dictated_pairs() -> dict[str, str]:
    """The two-word keys of autocorrect.yml, lower case -> the word meant."""
    return {typed.lower(): meant for typed, meant in autocorrect().items() if " " in typed}


def normalised_text(message: Message) -> str:
    """The message as the featurizers see it: its tokens after TokenNormaliser, lower case."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(token.text.lower() for token in tokens) or str(message.get(TEXT) or "").lower()
