"""What the workflow does once per run when rules/common.smk is read, and in which modes.

Snakemake reads the workflow again for --lint, for a dry run, and inside every job it starts
(a SLURM job, a group job, a local job run by a subprocess). Checks and side effects belong to
the submitting run only:

- `run` (the submitting process): every check (models cached, GPU request, cluster profile),
  then the side effects (restricted directories, raw links, the report's facts);
- `dry-run` (`-n`): the GPU and profile checks only; nothing is written;
- `lint` (`--lint`) and `job` (a job's own re-read): nothing.
"""

from __future__ import annotations

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import make_restricted_dirs
from fieldcorpus.intake.staging import link_raw_items
from fieldcorpus.manifest import Manifest
from fieldcorpus.models import check_models_cached
from fieldcorpus.pipeline.cluster import gpu_request_problem, preflight_problem
from fieldcorpus.pipeline.layout import Layout
from fieldcorpus.provenance.lineage import REPORT_FACTS_KEY, report_facts

RUN_MODES = ("run", "dry-run", "lint", "job")


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
    make_restricted_dirs(layout.restricted)
    link_raw_items(manifest, config["fieldwork_dir"], layout.restricted)
    # Read by the report's landing page (report/workflow.rst); never by a rule.
    config[REPORT_FACTS_KEY] = report_facts(config)
