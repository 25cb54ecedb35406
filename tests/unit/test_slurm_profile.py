"""profiles/slurm: site values are marked placeholders; nothing site-specific is in rules/; the
pre-flight check names what is left to fill in or install."""

from __future__ import annotations

import re
import tomllib

import yaml
from fieldcorpus.pipeline.cluster import preflight_problem

from tests.conftest import REPO

PROFILE_TEXT = (REPO / "profiles" / "slurm" / "profile.yaml").read_text()
PROFILE = yaml.safe_load(PROFILE_TEXT)
RULE_FILES = sorted((REPO / "rules").glob("*.smk"))


def rule_names() -> set[str]:
    return {
        name for path in RULE_FILES for name in re.findall(r"^rule (\w+):", path.read_text(), re.M)
    }


def test_the_profile_submits_through_the_slurm_plugin_in_the_project_venv():
    assert PROFILE["executor"] == "slurm"
    # No conda, no container: the jobs run in the .venv that runs Snakemake (opt-ins: README).
    assert not {"software-deployment-method", "sdm", "conda-prefix"} & set(PROFILE)
    assert PROFILE["jobs"] >= 1 and PROFILE["latency-wait"] >= 30
    assert PROFILE["retries"] >= 1
    assert PROFILE["rerun-incomplete"] is True and PROFILE["keep-going"] is True


def test_only_the_account_and_partition_are_left_to_fill_in():
    resources = PROFILE["default-resources"]
    placeholders = [
        line for line in PROFILE_TEXT.splitlines() if "CHANGE-ME" in line.split("#", 1)[0]
    ]
    assert len(placeholders) == 2
    assert "CHANGE-ME" in resources["slurm_account"]
    assert "CHANGE-ME" in resources["slurm_partition"]
    assert resources["runtime"] > 0 and resources["mem_mb"] > 0


def test_set_resources_and_groups_name_real_rules():
    rules = rule_names()
    assert set(PROFILE["set-resources"]) <= rules
    assert set(PROFILE["groups"]) <= rules
    assert {"pseudonymise_item", "render_shareable_transcript"} <= set(PROFILE["groups"])
    assert set(PROFILE["group-components"]) == set(PROFILE["groups"].values())
    assert all(batch > 1 for batch in PROFILE["group-components"].values())
    # A bad input fails its own job: a group fails whole, so the jobs that read raw files, and
    # the leak check that may fail by design, each keep their own sbatch.
    assert not {"transcribe_recording", "extract_document", "leak_check"} & set(PROFILE["groups"])


def test_the_gpu_request_waits_in_the_profile_for_cuda():
    text = PROFILE_TEXT
    transcription = PROFILE["set-resources"]["transcribe_recording"]
    assert "gpu" not in transcription  # the shipped config decodes on CPU
    assert re.search(r"^\s+# gpu: 1$", text, re.M)
    assert "attempt" in str(transcription["runtime"])


def test_rules_declare_only_portable_resources():
    for path in RULE_FILES:
        text = path.read_text()
        for block in re.findall(r"resources:\n((?:\s{8}.+\n)+)", text):
            names = set(re.findall(r"^\s+(\w+)=", block, re.M))
            assert names <= {"mem_mb", "runtime", "disk_mb", "tmpdir"}, (path.name, names)
        site_resource = r"\b(slurm_\w+|gpu|gpu_model|gres|constraint|qos|nodes)\s*="
        assert not re.search(site_resource, text), path.name


def commands_on(*installed: str):
    """A PATH lookup for a machine that has exactly these commands."""
    return lambda command: f"/usr/bin/{command}" if command in installed else None


def test_preflight_names_every_placeholder_the_shipped_profile_holds_in_one_line():
    problem = preflight_problem(
        PROFILE["default-resources"], {}, {}, [], find_command=commands_on("sbatch")
    )
    assert problem is not None and "\n" not in problem
    assert "slurm_account is still CHANGE-ME (your account: sacctmgr" in problem
    assert "slurm_partition is still CHANGE-ME (your partition: sinfo --summarize)" in problem
    assert "mem_mb" not in problem and "sbatch" not in problem


def test_preflight_passes_a_filled_in_profile_on_a_login_node():
    filled = {**PROFILE["default-resources"], "slurm_account": "a1", "slurm_partition": "cpu"}
    assert preflight_problem(filled, {}, {}, [], find_command=commands_on("sbatch")) is None
    # A local run names no SLURM resources and needs no sbatch.
    assert preflight_problem({"mem_mb": 1000}, {}, {}, [], find_command=commands_on()) is None


def test_preflight_names_a_missing_sbatch_conda_or_apptainer():
    filled = {"slurm_account": "a1", "slurm_partition": "cpu"}
    problem = preflight_problem(filled, {}, {}, ["conda"], find_command=commands_on())
    assert "no sbatch on PATH" in problem
    assert "--sdm conda but no conda on PATH" in problem and "\n" not in problem
    assert preflight_problem(filled, {}, {}, ["conda"], commands_on("sbatch", "conda")) is None
    problem = preflight_problem(filled, {}, {}, ["apptainer"], commands_on("sbatch"))
    assert "--sdm apptainer but no apptainer or singularity on PATH" in problem
    for container_command in ("apptainer", "singularity"):
        installed = commands_on("sbatch", container_command)
        assert preflight_problem(filled, {}, {}, ["apptainer"], installed) is None


def test_preflight_finds_placeholders_in_rule_resources_and_prefixes():
    rule_resources = {"transcribe_recording": {"slurm_partition": "CHANGE-ME-gpu-partition"}}
    paths = {"conda-prefix": "/CHANGE-ME/conda-envs", "apptainer-prefix": None}
    problem = preflight_problem({}, rule_resources, paths, [], find_command=commands_on())
    assert "set-resources transcribe_recording slurm_partition is still CHANGE-ME" in problem
    assert "conda-prefix is still CHANGE-ME" in problem
    assert "apptainer-prefix" not in problem


def test_the_container_installs_what_make_setup_installs():
    definition = (REPO / "containers" / "fieldcorpus.def").read_text()
    makefile = (REPO / "Makefile").read_text()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    python = re.search(r">=(3\.\d+)", project["requires-python"]).group(1)
    assert re.search(rf"^From: python:{re.escape(python)}-", definition, re.M)
    for pinned in ("pyproject.toml", "constraints.txt", "requirements-no-deps.txt"):
        assert re.search(rf"^\s+{re.escape(pinned)} /opt/fieldcorpus/src/", definition, re.M)
        assert pinned in makefile
    assert "-c constraints.txt .\n" in definition
    assert "--no-deps -c constraints.txt -r requirements-no-deps.txt" in definition
    # The image Snakemake's --sdm apptainer uses is the one the definition's comment builds.
    image = re.search(r'^container: "([^"]+)"$', (REPO / "Snakefile").read_text(), re.M).group(1)
    assert f"apptainer build {image} containers/fieldcorpus.def" in definition
