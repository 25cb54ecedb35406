"""envs/*.yaml (the per-stage conda envs used on the cluster) pin what pyproject.toml pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from tests.conftest import REPO

# These run Snakemake itself (on the login node), never inside a stage's env; webrtcvad-wheels is
# the pip build of the module that envs/transcribe.yaml takes from conda-forge as `webrtcvad`.
ORCHESTRATION = {"snakemake", "snakemake-executor-plugin-slurm", "webrtcvad-wheels"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pin(requirement: str) -> tuple[str, str]:
    found = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;]+)\s*", requirement)
    assert found, f"not an exact pin: {requirement!r}"
    return normalise(found.group(1)), found.group(2)


def pyproject_pins(path: Path = REPO / "pyproject.toml") -> dict[str, str]:
    """pyproject.toml's pins plus requirements-no-deps.txt's (installed beside them by make)."""
    project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    pins = dict(parse_pin(requirement) for requirement in project["dependencies"])
    no_deps = path.parent / "requirements-no-deps.txt"
    if no_deps.exists():
        lines = no_deps.read_text(encoding="utf-8").splitlines()
        pins.update(parse_pin(line) for line in lines if line.strip() and not line.startswith("#"))
    return pins


def env_pins(path: Path) -> tuple[str, dict[str, str]]:
    """The python version and the pip pins of one conda env file."""
    env = yaml.safe_load(path.read_text(encoding="utf-8"))
    python = ""
    pins: dict[str, str] = {}
    for dependency in env["dependencies"]:
        if isinstance(dependency, dict):
            pins.update(parse_pin(requirement) for requirement in dependency.get("pip", []))
        elif dependency.startswith("python="):
            python = dependency.split("=", 1)[1]
    return python, pins


def pin_drift(envs: dict[str, dict[str, str]], pyproject: dict[str, str]) -> list[str]:
    """Every disagreement between the env files and pyproject.toml, one line each."""
    problems = []
    for env_name, pins in sorted(envs.items()):
        for package, version in sorted(pins.items()):
            if package not in pyproject:
                problems.append(f"{env_name}: {package}=={version} is not pinned in pyproject.toml")
            elif pyproject[package] != version:
                problems.append(
                    f"{env_name}: {package}=={version}, pyproject.toml pins {pyproject[package]}"
                )
    in_some_env = {package for pins in envs.values() for package in pins}
    for package in sorted(set(pyproject) - in_some_env - ORCHESTRATION):
        problems.append(f"{package} (pyproject.toml) is in no envs/*.yaml")
    return problems


def all_env_files() -> dict[str, Path]:
    return {path.name: path for path in sorted((REPO / "envs").glob("*.yaml"))}


def test_every_stage_env_pins_the_pyproject_versions():
    envs = {name: env_pins(path)[1] for name, path in all_env_files().items()}
    assert set(envs) == {
        "corpus.yaml",
        "documents.yaml",
        "nlp.yaml",
        "provenance.yaml",
        "transcribe.yaml",
    }
    assert pin_drift(envs, pyproject_pins()) == []


def test_every_env_uses_the_project_python():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    python = re.search(r"==?(3\.\d+)|>=(3\.\d+)", project["requires-python"])
    wanted = python.group(1) or python.group(2)
    for name, path in all_env_files().items():
        assert env_pins(path)[0] == wanted, name


def test_every_rule_env_exists():
    named = set()
    for rules_file in (REPO / "rules").glob("*.smk"):
        named |= set(re.findall(r'"\.\./envs/([\w-]+\.yaml)"', rules_file.read_text()))
    assert named and named <= set(all_env_files())


def test_drift_is_reported(tmp_path):
    env = tmp_path / "nlp.yaml"
    env.write_text(
        "dependencies:\n  - python=3.11\n  - pip:\n      - spacy==3.0.0\n      - Unknown_Pkg==1.0\n"
    )
    problems = pin_drift({"nlp.yaml": env_pins(env)[1]}, {"spacy": "3.8.18", "pandas": "3.1.1"})
    assert problems == [
        "nlp.yaml: spacy==3.0.0, pyproject.toml pins 3.8.18",
        "nlp.yaml: unknown-pkg==1.0 is not pinned in pyproject.toml",
        "pandas (pyproject.toml) is in no envs/*.yaml",
    ]


def test_bundled_spacy_pipelines_are_pinned_in_the_nlp_env():
    from fieldcorpus.models import BUNDLED_SPACY_PIPELINES

    nlp_pins = env_pins(REPO / "envs" / "nlp.yaml")[1]
    for pipeline in BUNDLED_SPACY_PIPELINES:
        assert normalise(pipeline) in nlp_pins, pipeline
