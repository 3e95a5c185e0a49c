"""The serving patches (bot.nlu.rasa_patches.install_serving_patches) change nothing the bot says:
the trained model, loaded as the server loads it, gives the same NLU output and the same next
action for every held-out message as Rasa's own code does."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from bot.config import ROOT

MODEL = ROOT / "models" / "faqbot.tar.gz"

SAME_PREDICTIONS = textwrap.dedent(
    """
    import sys, tempfile
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


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_patched_server_predicts_exactly_as_rasa_does() -> None:
    assert "same for" in run(SAME_PREDICTIONS, str(MODEL))
