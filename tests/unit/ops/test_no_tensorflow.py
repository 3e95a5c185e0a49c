"""bot.ops.no_tensorflow: the serving processes run without TensorFlow, and a model that needs it
is refused loudly."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

from bot.config import ROOT
from bot.ops.no_tensorflow import check_model, tensorflow_components

DIET = "rasa.nlu.classifiers.diet_classifier.DIETClassifier"
OURS = "bot.nlu.components.WeightedLogisticRegressionClassifier"


def model_archive(directory: Path, *uses: str) -> Path:
    """A Rasa 3 model archive with nothing but its metadata.json, naming `uses`."""
    nodes = {f"run_{i}": {"uses": component} for i, component in enumerate(uses)}
    metadata = directory / "metadata.json"
    metadata.write_text(
        json.dumps({"train_schema": {"nodes": {}}, "predict_schema": {"nodes": nodes}})
    )
    archive = directory / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(metadata, arcname="metadata.json")
    return archive


def test_a_model_with_a_tensorflow_component_is_named(tmp_path: Path) -> None:
    archive = model_archive(tmp_path, OURS, DIET)
    assert tensorflow_components(archive) == [DIET]
    problem = check_model(["run", "--model", str(archive), "--port", "5005"])
    assert problem is not None and DIET in problem and "needs TensorFlow" in problem
    assert check_model(["run", "actions", "--actions", "actions"]) is None


def test_a_model_without_one_passes(tmp_path: Path) -> None:
    assert check_model(["run", "--model", str(model_archive(tmp_path, OURS))]) is None


def test_the_runner_refuses_to_serve_a_model_that_needs_tensorflow(tmp_path: Path) -> None:
    archive = model_archive(tmp_path, OURS, DIET)
    run = subprocess.run(
        [sys.executable, "-m", "bot.ops.no_tensorflow", "run", "--model", str(archive)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    assert DIET in run.stderr and "needs TensorFlow" in run.stderr


GUARDED = textwrap.dedent(
    """
    from bot.ops.no_tensorflow import TensorFlowBlocked, install, tensorflow_modules
    install()
    for name in ("tensorflow", "tensorflow_text", "keras", "tensorflow.keras"):
        try:
            __import__(name)
            raise SystemExit(f"{name} imported")
        except ModuleNotFoundError:
            pass
    import rasa.core.agent, rasa.core.run, rasa.engine.validation
    import thinc.compat
    assert not thinc.compat.has_tensorflow  # spaCy's thinc: as if not installed
    from rasa.engine.graph import GraphComponent
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    assert not issubclass(DIETClassifier, GraphComponent)
    for use in (lambda: DIETClassifier.load, lambda: DIETClassifier()):
        try:
            use()
            raise SystemExit("a placeholder was usable")
        except TensorFlowBlocked as blocked:
            assert "DIETClassifier" in str(blocked), blocked
    import bot.nlu.components, bot.nlu.faq, bot.nlu.encoder
    from bot.config import Settings
    vector = bot.nlu.encoder.load_encoder(Settings().encoder_dir).encode(["does it hurt"])
    assert vector.shape == (1, 384)
    import sys
    assert "torch" not in sys.modules and "onnx" not in sys.modules  # onnxruntime alone
    assert tensorflow_modules() == [], tensorflow_modules()
    print("guarded")
    """
)


def test_in_a_guarded_process_rasa_and_our_components_import_without_tensorflow() -> None:
    run = subprocess.run(
        [sys.executable, "-c", GUARDED], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "guarded"


RELEASE_AFTER_FORKS = textwrap.dedent(
    """
    import os, weakref
    from bot.nlu import encoder
    from bot.ops import no_tensorflow

    class Model: pass
    model, sentence_encoder = Model(), Model()
    alive, encoder_alive = weakref.ref(model), weakref.ref(sentence_encoder)
    no_tensorflow._SHARED_MODEL["archive"] = model
    encoder._LOADED[("encoder", 256, 1)] = sentence_encoder
    del model, sentence_encoder
    no_tensorflow.release_model_after_forks(2)
    for number in (1, 2):
        child = os.fork()
        if child == 0:  # a worker keeps its copies
            kept = no_tensorflow._SHARED_MODEL.get("archive") is alive()
            kept_encoder = encoder._LOADED.get(("encoder", 256, 1)) is encoder_alive()
            os._exit(0 if kept and kept_encoder else 1)
        assert os.waitpid(child, 0)[1] == 0, "a worker lost the model or the encoder"
        print(number, "kept" if alive() is not None else "released",
              "kept" if encoder_alive() is not None else "released")
    """
)


def test_the_main_process_drops_the_model_once_every_worker_is_forked() -> None:
    done = subprocess.run(
        [sys.executable, "-c", RELEASE_AFTER_FORKS], cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == ["1 kept kept", "2 released released"]
