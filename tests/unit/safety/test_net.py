"""The second net's data and threshold choice, on small data (the real one: `rasa train`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.safety.net import (
    CRISIS_NET_FLOOR,
    NetVerdict,
    SafetyNet,
    cross_validate,
    make_model,
    net_examples,
    train_net,
    training_set,
)

NET_DIR = Settings().safety_dir / "net"


def test_the_copied_data_has_its_three_labels_and_no_duplicates() -> None:
    pairs = net_examples(NET_DIR)
    counts = {
        label: sum(1 for _, got in pairs if got == label)
        for label in ("emergency", "crisis", "not_urgent")
    }
    assert counts == {"emergency": 1537, "crisis": 833, "not_urgent": 3239}
    texts, labels, origins = training_set(
        NET_DIR, [("what is botox", "what_is_botox"), ("i want to die", "crisis")]
    )
    assert len(texts) == len(set(texts))
    assert labels[-1] == 0 and origins[-1] == "nlu:what_is_botox"


def test_the_threshold_keeps_the_target_recall_and_never_goes_under_the_floor() -> None:
    urgent = [
        "i cant breathe",
        "my face is drooping",
        "i want to die",
        "my throat is closing",
        "worst headache ever now",
    ] * 4
    other = ["what is botox", "how much does it cost", "hello there", "thanks", "does it hurt"] * 4
    texts, labels = urgent + other, [1] * len(urgent) + [0] * len(other)
    report = cross_validate(
        texts, labels, ["x"] * len(texts), target_recall=0.9, min_threshold=0.3, folds=2
    )
    assert report.threshold >= 0.3 and report.recall >= 0.9
    net = SafetyNet(make_model().fit(texts, labels), report.threshold, report)
    assert net.fires("i cant breathe") and not net.fires("what is botox")


def test_the_net_survives_a_save_and_load(tmp_path: Path) -> None:
    texts, labels = ["i cant breathe", "what is botox"] * 3, [1, 0] * 3
    report = cross_validate(texts, labels, ["x"] * 6, 0.9, 0.5, folds=2)
    net = SafetyNet(make_model().fit(texts, labels), 0.5, report)
    net.save(tmp_path / "net.pickle")
    assert SafetyNet.load(tmp_path / "net.pickle").score("i cant breathe") == pytest.approx(
        net.score("i cant breathe")
    )


def test_the_crisis_cross_validation_leaves_out_the_emergencies() -> None:
    texts = ["i want to die", "i cant breathe", "what is botox", "no point living", "hi"] * 4
    labels = [1, 1, 0, 1, 0] * 4
    is_crisis = [1, 0, 0, 1, 0] * 4
    rows = [True, False, True, True, True] * 4
    report = cross_validate(
        texts, is_crisis, ["x"] * 20, 0.9, 0.3, folds=2, rows=rows, fold_labels=labels
    )
    assert (report.positives, report.negatives) == (8, 8)


def write_three_kinds(net_dir: Path) -> None:
    """Distinct lines (the training set drops duplicates), enough for each fold to see each kind."""
    lines = {
        "emergency": [f"i cant breathe and my face is drooping {n}" for n in "abcdefgh"],
        "crisis": [f"i want to die, no point living {n}" for n in "abcdefgh"],
        "not_urgent": [f"what is botox and how much does it cost {n}" for n in "abcdefgh"],
    }
    for label, texts in lines.items():
        (net_dir / "src" / label).mkdir(parents=True)
        (net_dir / "src" / label / "a.txt").write_text("\n".join(texts), encoding="utf-8")


def test_the_three_nets_share_one_set_of_features_and_tell_crisis_from_emergency(
    tmp_path: Path,
) -> None:
    write_three_kinds(tmp_path)
    net = train_net(tmp_path, [], folds=2)
    net.save(tmp_path / "net.pickle")
    loaded = SafetyNet.load(tmp_path / "net.pickle")
    features = loaded.model.named_steps["features"]
    assert loaded.kind_model.named_steps["features"] is features
    assert loaded.crisis_model.named_steps["features"] is features
    assert loaded.kind("i want to die") == "crisis"
    assert loaded.kind("i cant breathe") == "emergency"


def test_a_message_only_the_crisis_net_fires_on_gets_the_crisis_verdict() -> None:
    texts, labels = ["i want to die", "what is botox", "hello"] * 3, [1, 0, 0] * 3
    report = cross_validate(texts, labels, ["x"] * 9, 0.9, 0.3, folds=3)
    never = make_model().fit(["i cant breathe", "what is botox"] * 2, [1, 0] * 2)
    net = SafetyNet(never, 1.01, report, None, make_model().fit(texts, labels), 0.5, report)
    assert net.verdict("i want to die") == NetVerdict(True, "crisis", net.score("i want to die"))
    assert not net.verdict("what is botox").fires


class Constant:
    """A model that gives every text the same probability."""

    def __init__(self, p: float) -> None:
        self.p = p

    def predict_proba(self, texts: list[str]) -> Any:
        import numpy as np

        return np.array([[1 - self.p, self.p]] * len(texts))


@pytest.mark.parametrize(("urgent", "fires"), [(0.04, False), (0.06, True)])
def test_the_crisis_net_is_asked_only_above_the_floor(urgent: float, fires: bool) -> None:
    assert CRISIS_NET_FLOOR == 0.05
    texts, labels = ["i cant breathe", "what is botox"] * 3, [1, 0] * 3
    report = cross_validate(texts, labels, ["x"] * 6, 0.9, 0.3, folds=2)
    net = SafetyNet(Constant(urgent), 0.5, report, None, Constant(0.99), 0.5, report)
    assert net.verdict("anything").fires is fires


def test_the_recall_with_rules_counts_every_urgent_message_a_rule_or_the_net_catches() -> None:
    texts = ["i cant breathe now", "my face droops now", "what is botox", "hello there"] * 3
    labels = [1, 1, 0, 0] * 3
    origins = ["net:emergency", "net:emergency", "nlu:faq", "nlu:greet"] * 3
    caught = [True, False, False, False] * 3
    report = cross_validate(texts, labels, origins, 0.5, 0.99, folds=3, caught_by_rules=caught)
    assert report.recall_with_rules == pytest.approx(0.5)


def test_a_reviewed_threshold_is_kept_and_the_chosen_one_reported(tmp_path: Path) -> None:
    """config.yml's threshold holds whatever cross-validation would choose this time; the report
    gives both, and the figures at the reviewed one."""
    write_three_kinds(tmp_path)
    net = train_net(tmp_path, [], folds=2, threshold=0.42, crisis_threshold=0.37)
    assert (net.threshold, net.crisis_threshold) == (0.42, 0.37)
    assert net.report.threshold == 0.42 and net.report.suggested is not None
    assert "cross-validation alone would choose" in net.report.format()
    assert train_net(tmp_path, [], folds=2).report.suggested is None


def test_without_folds_the_reviewed_thresholds_are_used_and_nothing_is_cross_validated(
    tmp_path: Path,
) -> None:
    write_three_kinds(tmp_path)
    net = train_net(tmp_path, [], folds=0, threshold=0.42, crisis_threshold=0.37)
    assert (net.threshold, net.crisis_threshold) == (0.42, 0.37)
    assert net.report is None and net.crisis_report is None
    assert net.crisis_model is not None and net.kind_model is not None
    with pytest.raises(ValueError, match="both thresholds"):
        train_net(tmp_path, [], folds=0, threshold=0.42)
