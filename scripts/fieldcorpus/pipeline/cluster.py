"""Consistency between the config and the cluster profile, checked before any job is submitted."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Container, Iterable, Mapping

GPU_RESOURCES = ("gpu", "gpu_model", "gres")
# Resources only a cluster profile sets: a run that names them is headed for a cluster.
CLUSTER_RESOURCES = ("slurm_partition", "slurm_account")


def gpu_request_problem(
    device: str, transcription_resources: Container[str], default_resources: Container[str]
) -> str | None:
    """Why the transcription rule's GPU request contradicts `transcription.device`, or None."""
    asks_gpu = any(name in transcription_resources for name in GPU_RESOURCES)
    on_cluster = any(name in default_resources for name in CLUSTER_RESOURCES)
    if asks_gpu and device != "cuda":
        return (
            "the profile requests a GPU for transcribe_recording but transcription.device is "
            f"'{device}': set transcription.device: cuda, or drop the gpu lines from the profile"
        )
    if device == "cuda" and on_cluster and not asks_gpu:
        return (
            "transcription.device is cuda but the profile requests no GPU for "
            "transcribe_recording: uncomment its gpu lines under set-resources in "
            "profiles/slurm/profile.yaml (and name a GPU partition)"
        )
    return None


PLACEHOLDER = "CHANGE-ME"
# What each profile placeholder asks for, and where the user finds their value.
PLACEHOLDER_HINTS = {
    "slurm_account": "your account: sacctmgr show associations user=$USER",
    "slurm_partition": "your partition: sinfo --summarize",
}
# The command each software-deployment method needs on the submitting host; any one will do.
DEPLOYMENT_COMMANDS = {
    "conda": ("conda",),
    "apptainer": ("apptainer", "singularity"),
}


def setting_text(value: object) -> str:
    """A profile value as the user wrote it (Snakemake wraps resources in objects with `raw`)."""
    return str(getattr(value, "raw", value))


def placeholders_left(
    default_resources: Mapping[str, object],
    rule_resources: Mapping[str, Mapping[str, object]],
    paths: Mapping[str, object],
) -> list[str]:
    """Every profile setting that still holds CHANGE-ME, each with where to find its value."""
    left = []
    for name, value in default_resources.items():
        if PLACEHOLDER in setting_text(value):
            hint = PLACEHOLDER_HINTS.get(name, "your site's value")
            left.append(f"{name} is still {PLACEHOLDER} ({hint})")
    for rule, resources in rule_resources.items():
        for name, value in resources.items():
            if PLACEHOLDER in setting_text(value):
                left.append(f"set-resources {rule} {name} is still {PLACEHOLDER}")
    for name, value in paths.items():
        if value is not None and PLACEHOLDER in setting_text(value):
            left.append(f"{name} is still {PLACEHOLDER} (a directory every node can read)")
    return left


def preflight_problem(
    default_resources: Mapping[str, object],
    rule_resources: Mapping[str, Mapping[str, object]],
    paths: Mapping[str, object],
    deployment_methods: Iterable[str],
    find_command: Callable[[str], str | None] = shutil.which,
) -> str | None:
    """Everything that stops this run before a job is submitted, in one line, or None.

    A profile placeholder left in, `sbatch` missing where the profile names a SLURM account or
    partition, or the command a requested software-deployment method needs."""
    problems = placeholders_left(default_resources, rule_resources, paths)
    on_cluster = any(name in default_resources for name in CLUSTER_RESOURCES)
    if on_cluster and find_command("sbatch") is None:
        problems.append("no sbatch on PATH (run Snakemake on a SLURM login node)")
    for method in sorted(set(deployment_methods)):
        commands = DEPLOYMENT_COMMANDS.get(method, ())
        if commands and not any(find_command(command) for command in commands):
            problems.append(
                f"--sdm {method} but no {' or '.join(commands)} on PATH (load it, e.g. with "
                f"`module load`, or drop --sdm {method} to run the jobs in the project's .venv)"
            )
    if not problems:
        return None
    return "cannot start: " + "; ".join(problems) + " (see README: HPC / SLURM)"
