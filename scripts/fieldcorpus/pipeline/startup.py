"""What the workflow does once per run when rules/common.smk is read, and in which modes.

Snakemake reads the workflow again for --lint, for a dry run, and inside every job it starts
(a SLURM job, a group job, a local job run by a subprocess). Checks and side effects belong to
the submitting run only:

- `run` (the submitting process): every check (models cached, GPU request, cluster profile),
  then the side effects (the jobs' allocator settings, restricted directories, raw links, the
  report's facts);
- `dry-run` (`-n`): the GPU and profile checks only; nothing is written;
- `lint` (`--lint`) and `job` (a job's own re-read): nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import make_restricted_dirs
from fieldcorpus.intake.staging import link_raw_items
from fieldcorpus.manifest import Manifest
from fieldcorpus.models import check_models_cached
from fieldcorpus.pipeline.cluster import gpu_request_problem, preflight_problem
from fieldcorpus.pipeline.layout import Layout
from fieldcorpus.provenance.lineage import REPORT_FACTS_KEY, report_facts

RUN_MODES = ("run", "dry-run", "lint", "job")
# Whisper allocates and frees its attention buffers (54-72 MB for tiny.en and base) for every
# 30-s window, above the 32 MB up to which glibc keeps freed memory for reuse: each is a fresh
# mmap whose pages the kernel zeroes and faults in again, 10-15% of a decode's CPU. Freed memory
# up to 128 MB is kept for reuse instead (a few tens of MB more resident per job).
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=134217728:glibc.malloc.trim_threshold=134217728"


def run_mode(workflow) -> str:
    """The mode Snakemake reads the workflow in (see the table above).

    Snakemake 9 has no flag for linting at parse time; `snakemake --lint` alone builds its
    workflow with `check_envvars` off, so that is what tells it apart."""
    if not workflow.is_main_process:
        return "job"
    if not getattr(workflow, "check_envvars", True):
        return "lint"
    output_settings = getattr(workflow, "output_settings", None)
    if output_settings is not None and output_settings.dryrun:
        return "dry-run"
    return "run"


def job_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """What jobs should find in their environment that `environ` lacks: the allocator settings
    above, unless GLIBC_TUNABLES is set already (the user's own is kept as it is). glibc reads
    them when a process starts, so they are set in the submitting run, whose jobs (local or
    SLURM, which exports the submitting environment) inherit them."""
    return {} if "GLIBC_TUNABLES" in environ else {"GLIBC_TUNABLES": MALLOC_TUNABLES}


def _cluster_problems(workflow, config: dict) -> list[str]:
    resources = workflow.resource_settings
    gpu = gpu_request_problem(
        config["transcription"]["device"],
        resources.overwrite_resources.get("transcribe_recording", {}),
        resources.default_resources or {},
    )
    preflight = preflight_problem(
        resources.default_resources or {},
        resources.overwrite_resources,
        {
            "conda-prefix": workflow.deployment_settings.conda_prefix,
            "apptainer-prefix": workflow.deployment_settings.apptainer_prefix,
        },
        [method.item_to_choice() for method in workflow.deployment_settings.deployment_method],
    )
    return [problem for problem in (gpu, preflight) if problem]


def prepare_run(mode: str, workflow, config: dict, manifest: Manifest, layout: Layout) -> None:
    """Checks first (a failure stops the run before anything is written), then side effects."""
    if mode in ("lint", "job"):
        return
    if mode == "run":
        # Compute nodes have no network: a hub model that is not cached fails here.
        check_models_cached(config)
    problems = _cluster_problems(workflow, config)
    if problems:
        raise FieldcorpusError(None, problems[0])
    if mode == "dry-run":
        return
    os.environ.update(job_environment(os.environ))
    make_restricted_dirs(layout.restricted)
    link_raw_items(manifest, config["fieldwork_dir"], layout.restricted)
    # Read by the report's landing page (report/workflow.rst); never by a rule.
    config[REPORT_FACTS_KEY] = report_facts(config)
