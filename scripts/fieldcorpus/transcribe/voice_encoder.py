"""resemblyzer's speaker encoder (a 3-layer LSTM over 40 mel channels, then a linear layer, ReLU
and L2 norm) run in NumPy on the weights in resemblyzer's wheel. Importing resemblyzer imports
PyTorch, about 2 s of every transcription job's start-up for a network this small."""

from __future__ import annotations

import importlib.util
import pickle
from collections import OrderedDict
from functools import cache
from pathlib import Path

import numpy as np

from fieldcorpus.errors import FieldcorpusError

HIDDEN = 256
LAYERS = 3
# Storage classes of a legacy (pre-zip) torch.save file, by the name it pickles them under.
STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
}


def weights_file() -> Path:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise FieldcorpusError(None, "resemblyzer is not installed", "run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"


class _TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


class _LegacyUnpickler(pickle.Unpickler):
    """Reads the object a legacy torch.save wrote, with tensors left as references into the
    storages that follow it; only the classes such a state dict uses are allowed."""

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return lambda storage, offset, size, stride, *_: _TensorRef(
                storage, offset, size, stride
            )
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in the weights file")

    def persistent_load(self, pid):
        kind, dtype, key, _location, count = pid[:5]
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent record {kind!r}")
        return (key, np.dtype(dtype), count)


def read_legacy_state_dict(path: Path) -> dict[str, np.ndarray]:
    """A model state dict saved by torch.save in its legacy format (magic number, protocol,
    system info, the object, then each storage as an element count and its raw bytes)."""
    with open(path, "rb") as handle:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(handle)
        state = _LegacyUnpickler(handle).load()
        keys = pickle.load(handle)
        dtypes = {ref.storage[0]: ref.storage[1] for _, ref in _named_refs(state)}
        storages = {}
        for key in keys:
            count = int(np.frombuffer(handle.read(8), "<i8")[0])
            dtype = dtypes.get(key, np.dtype(np.float32))
            storages[key] = np.frombuffer(handle.read(count * dtype.itemsize), dtype)
    checkpoint = {}
    for name, ref in _named_refs(state):
        storage = storages[ref.storage[0]]
        strides = tuple(s * storage.itemsize for s in ref.stride)
        view = np.lib.stride_tricks.as_strided(storage[ref.offset :], ref.size, strides)
        checkpoint[name] = np.array(view)
    return checkpoint


def _named_refs(obj, prefix=""):
    if isinstance(obj, _TensorRef):
        yield prefix, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _named_refs(value, f"{prefix}.{key}" if prefix else str(key))


@cache
def encoder_weights() -> dict[str, np.ndarray]:
    state = read_legacy_state_dict(weights_file())
    return {name.removeprefix("model_state."): value for name, value in state.items()}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def embed_mels(mels: np.ndarray) -> np.ndarray:
    """L2-normalised embeddings (batch, 256) of mel spectrograms (batch, frames, 40), as
    resemblyzer's VoiceEncoder.forward computes them (PyTorch's LSTM gate order i, f, g, o)."""
    weights = encoder_weights()
    layer_input = mels.astype(np.float32, copy=False)
    batch, frames = layer_input.shape[:2]
    for layer in range(LAYERS):
        w_ih = weights[f"lstm.weight_ih_l{layer}"]
        w_hh = weights[f"lstm.weight_hh_l{layer}"]
        bias = weights[f"lstm.bias_ih_l{layer}"] + weights[f"lstm.bias_hh_l{layer}"]
        # The input side of every time step at once; only the recurrence runs step by step.
        projected = layer_input @ w_ih.T + bias
        hidden = np.zeros((batch, HIDDEN), np.float32)
        cell = np.zeros((batch, HIDDEN), np.float32)
        outputs = np.empty((batch, frames, HIDDEN), np.float32)
        w_hh_t = np.ascontiguousarray(w_hh.T)
        for step in range(frames):
            gates = projected[:, step] + hidden @ w_hh_t
            i, f, g, o = np.split(gates, 4, axis=1)
            cell = _sigmoid(f) * cell + _sigmoid(i) * np.tanh(g)
            hidden = _sigmoid(o) * np.tanh(cell)
            outputs[:, step] = hidden
        layer_input = outputs
    raw = np.maximum(hidden @ weights["linear.weight"].T + weights["linear.bias"], 0.0)
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)
