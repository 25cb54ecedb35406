"""Consistency between the config and the cluster profile, checked before any job is submitted."""

from __future__ import annotations

from collections.abc import Container

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
