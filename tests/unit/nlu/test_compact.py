"""bot.nlu.compact: smaller fitted models, the same predictions."""

from __future__ import annotations

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

from bot.nlu.compact import compact_weights, forget_stop_words

TEXTS = [
    "how much does botox cost",
    "is botox free on the nhs",
    "does it hurt",
    "how long does each session take",
    "what are the side effects",
    "can I drive home afterwards",
] * 5
LABELS = ["cost", "cost", "procedure", "procedure", "side_effects", "procedure"] * 5


def fitted() -> tuple[object, scipy.sparse.csr_matrix]:
    union = make_union(
        TfidfVectorizer(ngram_range=(1, 2)), TfidfVectorizer(analyzer="char_wb", min_df=6)
    )
    x = union.fit_transform(TEXTS)
    return union, x


def test_float32_weights_give_the_same_probabilities() -> None:
    _, x = fitted()
    clf = LogisticRegression(C=30.0).fit(x, LABELS)
    before = clf.predict_proba(x)
    compact_weights(clf)
    assert clf.coef_.dtype == np.float32
    assert clf.coef_.T.flags["C_CONTIGUOUS"]
    after = clf.predict_proba(x.astype(np.float32))
    assert np.abs(after - before).max() < 1e-6
    assert (after.argmax(axis=1) == before.argmax(axis=1)).all()


def test_forgetting_stop_words_keeps_the_features() -> None:
    union, x = fitted()
    assert any(hasattr(v, "stop_words_") for _, v in union.transformer_list)
    forget_stop_words(union)
    assert not any(hasattr(v, "stop_words_") for _, v in union.transformer_list)
    assert (union.transform(TEXTS) != x).nnz == 0
