"""The serving patches (bot.nlu.rasa_patches.install_serving_patches, the model shared with the
workers) change nothing the bot says: the trained model, loaded as the server loads it, gives the
same NLU output and the same next action for every held-out message as Rasa's own code does."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from bot.config import ROOT

MODEL = ROOT / "models" / "faqbot.tar.gz"

SAME_PREDICTIONS = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    from bot.ops.no_tensorflow import install
    install()
    from rasa.core.channels.channel import UserMessage
    from rasa.engine import loader
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from bot.nlu.data import read_examples
    from bot.nlu.rasa_patches import SequentialGraphRunner, install_serving_patches

    texts = [text for text, _ in read_examples([Path("tests/data/heldout")])]
    texts += ['/faq{"faq_entry":"side_effects_overview"}', "hello", "thanks a lot"]

    def load(runner_class):
        with tempfile.TemporaryDirectory() as directory:
            return loader.load_predict_graph_runner(
                Path(directory), Path(sys.argv[1]), LocalModelStorage, runner_class
            )

    def predictions(metadata, runner):
        found = []
        for text in texts:
            empty = DialogueStateTracker.from_events("t", [])
            inputs = {PLACEHOLDER_MESSAGE: [UserMessage(text, sender_id="t")],
                      PLACEHOLDER_TRACKER: empty}
            nlu = runner.run(inputs=inputs, targets=[metadata.nlu_target])
            parsed = nlu[metadata.nlu_target][0].as_dict(only_output_properties=True)
            said = UserUttered(text, parsed.get("intent"), parsed.get("entities", []), parsed)
            tracker = DialogueStateTracker.from_events(
                "t", [ActionExecuted("action_listen"), said], metadata.domain.slots
            )
            core = runner.run(inputs={PLACEHOLDER_TRACKER: tracker},
                              targets=[metadata.core_target])
            found.append((parsed, core[metadata.core_target]))
        return found

    rasas = predictions(*load(DaskGraphRunner))
    install_serving_patches()
    ours = predictions(*load(SequentialGraphRunner))
    differ = [text for text, a, b in zip(texts, rasas, ours) if a != b]
    assert not differ, differ[:5]
    print(f"same for {len(texts)} messages")
    """
)

SHARED_MODEL = textwrap.dedent(
    """
    import os, shutil, sys, time
    from pathlib import Path
    from bot.ops.no_tensorflow import install, share_model_with_workers
    install()
    from rasa.core.processor import MessageProcessor

    archive = Path(sys.argv[2]) / "model.tar.gz"
    shutil.copy(sys.argv[1], archive)
    share_model_with_workers(archive)
    runner = MessageProcessor._load_model(str(archive.parent))[2]  # `--model <folder>`
    assert MessageProcessor._load_model(str(archive))[2] is runner
    child = os.fork()
    if child == 0:  # a Sanic worker
        os._exit(0 if MessageProcessor._load_model(str(archive))[2] is runner else 1)
    assert os.waitpid(child, 0)[1] == 0, "the worker loaded its own"
    other = archive.with_name("other.tar.gz")
    shutil.copy(archive, other)
    assert MessageProcessor._load_model(str(other))[2] is not runner
    os.utime(archive, ns=(time.time_ns(), time.time_ns() + 10**9))  # retrained in place
    assert MessageProcessor._load_model(str(archive))[2] is not runner
    print("one model")
    """
)


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_patched_server_predicts_exactly_as_rasa_does() -> None:
    assert "same for" in run(SAME_PREDICTIONS, str(MODEL))


def test_workers_get_the_model_loaded_before_the_fork_unless_the_file_changed(
    tmp_path: Path,
) -> None:
    assert run(SHARED_MODEL, str(MODEL), str(tmp_path)).strip().endswith("one model")
