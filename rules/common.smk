import os
import sys
from pathlib import Path

from snakemake import __version__ as SNAKEMAKE_VERSION
from snakemake.exceptions import WorkflowError

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from fieldcorpus.audio.redaction import unknown_items
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.manifest import load_manifest
from fieldcorpus.pipeline.layout import STUDY, Layout
from fieldcorpus.pipeline.startup import prepare_run, run_mode
from fieldcorpus.pipeline.targets import Targets
from fieldcorpus.intake.staging import raw_link_path
from fieldcorpus.provenance.lineage import stage_settings

# Every directory Snakemake creates for an output or a log is private until proven shareable.
os.umask(0o077)

LAYOUT = Layout.from_config(config)
RESTRICTED = LAYOUT.restricted
SHAREABLE = LAYOUT.shareable
RUN_MODE = run_mode(workflow)

try:
    MANIFEST = load_manifest(config["manifest"], config["fieldwork_dir"])
except FieldcorpusError as error:
    raise WorkflowError(f"fieldcorpus: {error}") from None
TARGETS = Targets(MANIFEST, LAYOUT, config)
AUDIO = TARGETS.audio
AUDIO_EXT = TARGETS.audio_ext
if unknown_items(AUDIO, MANIFEST.items):
    raise WorkflowError(
        "fieldcorpus: config audio.items names item(s) not in the manifest: "
        + ", ".join(unknown_items(AUDIO, MANIFEST.items))
    )

# Once per run, in the submitting process only: never on --lint, a dry run or a job's re-parse
# (pipeline.startup says which checks and side effects run in which mode).
try:
    prepare_run(RUN_MODE, workflow, config, MANIFEST, LAYOUT)
except FieldcorpusError as error:
    raise WorkflowError(f"fieldcorpus: {error}") from None


wildcard_constraints:
    practice="[A-Z]{1,3}[0-9]{1,3}",
    item_id="[A-Za-z0-9_-]+",


# Input functions: thin calls into pipeline.targets (the rules hold no other Python).
def manifest_item(wildcards):
    try:
        return TARGETS.item(wildcards.item_id)
    except KeyError:
        raise WorkflowError(
            f"item {wildcards.item_id} is not in the manifest"
        ) from None


def item_record(wildcards):
    return TARGETS.record(manifest_item(wildcards))


def raw_file(wildcards):
    """The raw item through its link named by item id (see fieldcorpus.intake.staging); in a
    dry run that has not made the link yet, nothing (the job is planned from its outputs).
    """
    link = str(raw_link_path(RESTRICTED, manifest_item(wildcards)))
    return link if RUN_MODE != "dry-run" or os.path.lexists(link) else []


def recording_file(wildcards):
    item = manifest_item(wildcards)
    if not item.is_recording:
        raise WorkflowError(f"item {item.item_id} is a {item.kind}, not a recording")
    return raw_file(wildcards)


def document_file(wildcards):
    item = manifest_item(wildcards)
    if item.is_recording:
        raise WorkflowError(f"item {item.item_id} is a {item.kind}, not a document")
    return raw_file(wildcards)


def item_units(wildcards):
    """The restricted unit file of an item: a transcript or extracted document text."""
    return TARGETS.units(manifest_item(wildcards))


def practice_units(wildcards):
    """Restricted unit files of every item of a practice, in ledger order."""
    return TARGETS.practice_units(wildcards.practice)


def practice_detections(wildcards):
    """The practice's per-item detection cache files, in the order of practice_units."""
    return TARGETS.practice_detections(wildcards.practice)


def shareable_text_settings(wildcards):
    return TARGETS.text_settings(manifest_item(wildcards))


def practice_shareable_items(wildcards):
    return TARGETS.practice_shareable_json(wildcards.practice)


def practice_anonymisation_logs(wildcards):
    return TARGETS.practice_anonymisation_logs(wildcards.practice)


def practice_item_records(wildcards):
    """The practice's manifest rows (the risk report reads their roles)."""
    return TARGETS.practice_item_records(wildcards.practice)


def generalise_settings(wildcards):
    """Only the generalisations shape a shareable item's metadata (the shared role)."""
    return {"generalise": config["pseudonymisation"].get("generalise", {})}


def all_shareable_json(wildcards=None):
    return TARGETS.all_shareable_json()


def all_shareable_audio(wildcards=None):
    return TARGETS.all_shareable_audio()


def practice_shareable_audio(wildcards):
    return TARGETS.shareable_audio(TARGETS.by_practice[wildcards.practice])


def practice_item_docx(wildcards):
    return TARGETS.docx(TARGETS.by_practice[wildcards.practice])


def all_item_docx(wildcards=None):
    return TARGETS.docx(TARGETS.items)


def files_made_from_item(wildcards):
    return TARGETS.files_made_from_item(manifest_item(wildcards))


def practice_ledger(wildcards):
    return LAYOUT.ledger(wildcards.practice)


def redaction_log_path(wildcards):
    return LAYOUT.redaction_log(wildcards.practice, wildcards.item_id)


def repaired_audio_path(wildcards):
    """The copy a repair round renders again (restricted; kept when the check still fails)."""
    return LAYOUT.restricted_audio(
        wildcards.practice, wildcards.item_id, f"repaired.{AUDIO_EXT}"
    )


def lineage_targets(wildcards):
    return TARGETS.lineage_targets()


def lineage_shared(wildcards):
    return {
        "register": config["register"],
        "allow_list": config["allow_list"],
        "snakemake_version": SNAKEMAKE_VERSION,
        "restricted_dir": RESTRICTED,
        "shareable_dir": SHAREABLE,
    }


def all_practice_summaries(wildcards=None):
    return TARGETS.all_practice_summaries()


def leak_check_inputs(wildcards):
    return TARGETS.leak_check_inputs()


def all_ledger_states(wildcards=None):
    return TARGETS.all_ledger_states()


def all_ledgers(wildcards=None):
    return TARGETS.all_ledgers()


def all_item_lineage(wildcards=None):
    return TARGETS.all_lineage()


def manifest_item_ids(wildcards=None):
    return sorted(MANIFEST.items)


def practice_qdpx_name(wildcards):
    return f"{config['corpus']['qdpx_project_name']} {wildcards.practice}"


def get_final_outputs():
    return TARGETS.final_outputs()


def shareable_report():
    name = config["provenance"].get("report", "")
    return os.path.join(SHAREABLE, name) if name else None


def crate_inputs(wildcards):
    """The leak check's report (it waits for every other shareable output), and the Snakemake
    report once it exists."""
    inputs = {
        "leak_check": LAYOUT.leak_check,
        "manifest": config["manifest"],
        "register": config["register"],
    }
    report_path = shareable_report()
    if report_path and os.path.isfile(report_path):
        inputs["report"] = report_path
    return inputs


def crate_files(wildcards):
    return TARGETS.crate_files()


def crate_settings(wildcards):
    return stage_settings(config)


def audit_config_paths(wildcards):
    keys = (
        "manifest",
        "fieldwork_dir",
        "restricted_dir",
        "shareable_dir",
        "provenance",
    )
    return {key: config[key] for key in keys}


def shareable_root_of_report(wildcards, output):
    """The shareable zone is the directory the leak-check report sits in."""
    return os.path.dirname(output.report)


def shareable_root_of_crate(wildcards, output):
    return os.path.dirname(output.crate)
