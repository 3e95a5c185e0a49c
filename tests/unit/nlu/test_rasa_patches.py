"""The compiled action-reply check accepts and rejects exactly what Rasa's own check does; the
event-type cache resolves exactly as Rasa does; the interpolation, TF-IDF and spaCy patches give
the same results as before them (the graph runner: tests/integration/test_serving_patches.py)."""

from __future__ import annotations

from typing import Any

import jsonschema
import numpy as np
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot.config import ROOT, Settings
from bot.nlu.rasa_patches import (
    cache_event_types,
    compile_action_response_check,
    log_each_interpolation_error_once,
    remember_tfidf_idf,
    share_spacy_models,
    transform_feature_unions_in_turn,
)

GOOD: dict[str, Any] = {"events": [], "responses": [{"text": "hi", "topic": "greet"}]}
BAD: list[dict[str, Any]] = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "no such event"}], "responses": []},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture(scope="module")
def action() -> RemoteAction:
    compile_action_response_check()
    return RemoteAction("action_answer_faq", None)


def test_a_valid_reply_passes(action: RemoteAction) -> None:
    assert action._validate_action_result(GOOD) is True
    jsonschema.validate(GOOD, RemoteAction.action_response_format_spec())


@pytest.mark.parametrize("reply", BAD)
def test_an_invalid_reply_is_rejected_like_rasa_rejects_it(
    action: RemoteAction, reply: dict[str, Any]
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        action._validate_action_result(reply)


def test_cached_event_types_resolve_as_rasa_does() -> None:
    names = {cls.type_name for cls in all_subclasses(Event)}
    rasa_says = {name: Event.resolve_by_type(name) for name in names}
    cache_event_types()
    cache_event_types()  # idempotent
    for _ in range(2):  # the first time fills the cache, the second reads it
        assert {name: Event.resolve_by_type(name) for name in names} == rasa_says
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no such event", ActionExecuted) is ActionExecuted
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")


RESPONSES = [
    "Hello {name}!",  # a slot
    '/faq{"faq_entry":"cost_overview"}',  # a button payload: no such slot
    "Hi {missing}",
    "{{escaped}} and {name}",
    "no placeholder",
]
VALUES: list[dict[str, Any]] = [{"name": "Sam"}, {}, {"missing": "x", "name": None}]


def test_interpolation_gives_rasas_texts_and_logs_each_failure_once(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    import rasa.core.nlg.interpolator as interpolator

    rasa_says = {
        (response, i): interpolator.interpolate_text(response, values)
        for response in RESPONSES
        for i, values in enumerate(VALUES)
    }
    capsys.readouterr()
    caplog.clear()
    log_each_interpolation_error_once()
    log_each_interpolation_error_once()  # idempotent
    for _ in range(3):
        assert {
            (response, i): interpolator.interpolate_text(response, values)
            for response in RESPONSES
            for i, values in enumerate(VALUES)
        } == rasa_says
    printed = capsys.readouterr()
    logged = printed.out + printed.err + caplog.text
    # Once each: {name} unset, the payload, {missing}, and the escaped text (Rasa fails on it too).
    assert logged.count("interpolator.interpolate.text") == 4


def test_tfidf_idf_is_computed_once_per_fit_and_transforms_are_unchanged() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["does botox hurt", "how much does botox cost", "what is chronic migraine"]
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(texts)
    expected, idf = vectorizer.transform(texts).toarray(), vectorizer.idf_
    remember_tfidf_idf()
    remember_tfidf_idf()  # idempotent
    assert np.array_equal(vectorizer.transform(texts).toarray(), expected)
    assert np.array_equal(vectorizer.idf_, idf)
    assert vectorizer.idf_ is vectorizer.idf_
    with pytest.raises(ValueError, match="read-only"):
        vectorizer.idf_[0] = 0.0
    vectorizer.fit(texts[:2])  # a new fit: a new idf
    assert len(vectorizer.idf_) == len(vectorizer.vocabulary_) != len(idf)
    with pytest.raises(Exception, match="not fitted"):
        TfidfVectorizer().transform(texts)


def test_a_spacy_pipeline_is_loaded_once_by_whichever_path_names_it() -> None:
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    directory = Settings().spacy_model_dir
    share_spacy_models()
    share_spacy_models()  # idempotent
    first = SpacyNLP.load_model(str(directory))
    again = SpacyNLP.load_model(str(directory.relative_to(ROOT)))
    assert again.model is first.model
    assert again.model_name == str(directory.relative_to(ROOT))


def test_feature_unions_give_the_same_matrix_without_joblib() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    texts = ["does botox hurt", "how much does botox cost", "what is chronic migraine"]
    union = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    ).fit(texts)
    expected = union.transform(texts)
    transform_feature_unions_in_turn()
    transform_feature_unions_in_turn()  # idempotent
    found = union.transform(texts)
    assert (found != expected).nnz == 0
    assert np.array_equal(found.indices, expected.indices)
    assert np.array_equal(found.indptr, expected.indptr)
