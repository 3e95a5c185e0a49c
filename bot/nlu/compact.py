"""Smaller fitted scikit-learn models, the same predictions: every Rasa process holds them
(docs/operations/performance.md, "Memory"). Imports no Rasa, so the second net's code can use it."""

from __future__ import annotations

from typing import Any

import numpy as np


def compact_weights(clf: Any) -> Any:
    """`clf` (a fitted linear scikit-learn model) with its weight matrix as float32 in Fortran
    order. float32 halves the largest arrays a Rasa process holds (the entry selector's weights:
    22.8 MB as float64); the probabilities move by under 1e-6 (tests/unit/nlu/test_compact.py).
    Predicting multiplies the features by `coef_.T`, and scipy copies that operand on every
    call unless it is C-contiguous and of the features' dtype: Fortran order makes `coef_.T`
    C-contiguous, and the features are float32 too (sentence_features, FaqEntrySelector)."""
    coef = getattr(clf, "coef_", None)
    if isinstance(coef, np.ndarray) and coef.ndim == 2:
        clf.coef_ = np.asfortranarray(coef, dtype=np.float32)
    return clf


def forget_stop_words(union: Any) -> Any:
    """`union` (a fitted FeatureUnion of scikit-learn text vectorizers) without each one's
    `stop_words_`: the n-grams `min_df` left out, kept only for introspection (scikit-learn's
    documentation says it can be removed), 1.5 MB of the second net's strings."""
    for _, vectorizer in union.transformer_list:
        if hasattr(vectorizer, "stop_words_"):
            del vectorizer.stop_words_
    return union
