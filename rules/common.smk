import os
import sys
from dataclasses import asdict
from pathlib import Path

from snakemake import __version__ as SNAKEMAKE_VERSION
from snakemake.exceptions import WorkflowError

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from fieldcorpus.pipeline.cluster import gpu_request_problem, preflight_problem
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import make_restricted_dirs
from fieldcorpus.formats import TRANSCRIPT_FORMATS, output_key
from fieldcorpus.manifest import load_manifest
from fieldcorpus.intake.staging import link_raw_items, raw_link_path
from fieldcorpus.provenance.lineage import (
    REPORT_FACTS_KEY,
    item_settings,
    report_facts,
    stage_settings,
)
from fieldcorpus.models import check_models_cached
from fieldcorpus.audio.redaction import audio_extension, share_mode, unknown_items

# Every directory Snakemake creates for an output or a log is private until proven shareable.
os.umask(0o077)

RESTRICTED = config["restricted_dir"]
SHAREABLE = config["shareable_dir"]
make_restricted_dirs(RESTRICTED)

try:
    MANIFEST = load_manifest(config["manifest"], config["fieldwork_dir"])
except FieldcorpusError as error:
    raise WorkflowError(f"fieldcorpus: {error}") from None
ITEMS_BY_PRACTICE = MANIFEST.by_practice()
AUDIO = config.get("audio") or {}
AUDIO_EXT = audio_extension(AUDIO)
if unknown_items(AUDIO, MANIFEST.items):
    raise WorkflowError(
        "fieldcorpus: config audio.items names item(s) not in the manifest: "
        + ", ".join(unknown_items(AUDIO, MANIFEST.items))
    )
link_raw_items(MANIFEST, config["fieldwork_dir"], RESTRICTED)
# Read by the report's landing page (report/workflow.rst); never by a rule.
config[REPORT_FACTS_KEY] = report_facts(config)

# Compute nodes have no network: a hub model that is not cached fails here, before any job.
try:
    check_models_cached(config)
except FieldcorpusError as error:
    raise WorkflowError(f"fieldcorpus: {error}") from None

_gpu_problem = gpu_request_problem(
    config["transcription"]["device"],
    workflow.resource_settings.overwrite_resources.get("transcribe_recording", {}),
    workflow.resource_settings.default_resources or {},
)
if _gpu_problem:
    raise WorkflowError(f"fieldcorpus: {_gpu_problem}")

# The submitting run only: jobs on the nodes re-read this file with the profile's values.
if workflow.is_main_process:
    _preflight_problem = preflight_problem(
        workflow.resource_settings.default_resources or {},
        workflow.resource_settings.overwrite_resources,
        {
            "conda-prefix": workflow.deployment_settings.conda_prefix,
            "apptainer-prefix": workflow.deployment_settings.apptainer_prefix,
        },
        [
            method.item_to_choice()
            for method in workflow.deployment_settings.deployment_method
        ],
    )
    if _preflight_problem:
        raise WorkflowError(f"fieldcorpus: {_preflight_problem}")


wildcard_constraints:
    practice="[A-Z]{1,3}[0-9]{1,3}",
    item_id="[A-Za-z0-9_-]+",


def manifest_item(wildcards):
    try:
        return MANIFEST.items[wildcards.item_id]
    except KeyError:
        raise WorkflowError(
            f"item {wildcards.item_id} is not in the manifest"
        ) from None


def item_record(wildcards):
    return asdict(manifest_item(wildcards))


def raw_file(wildcards):
    """The raw item through its link named by item id (see fieldcorpus.intake.staging)."""
    return str(raw_link_path(RESTRICTED, manifest_item(wildcards)))


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


def units_path(item):
    zone = "transcripts" if item.is_recording else "text"
    return f"{RESTRICTED}/{zone}/{item.practice}/{item.item_id}.json"


def item_units(wildcards):
    """The restricted unit file of an item: a transcript or extracted document text."""
    return units_path(manifest_item(wildcards))


def practice_detections(wildcards):
    """Detections of every item of a practice in ledger order: wave, date, item id."""
    return [
        f"{RESTRICTED}/entities/{wildcards.practice}/{item.item_id}.json"
        for item in ITEMS_BY_PRACTICE[wildcards.practice]
    ]


def practice_units(wildcards):
    """Restricted unit files of every item of a practice (context for the review queue)."""
    return [units_path(item) for item in ITEMS_BY_PRACTICE[wildcards.practice]]


def shareable_text_settings(wildcards):
    """Pause marks for a recording's shareable .txt, as in its other formats; none for documents."""
    if not manifest_item(wildcards).is_recording:
        return {}
    settings = config["transcription"]
    keys = ("pause_marks", "pause_min_seconds")
    return {key: settings[key] for key in keys if key in settings}


def practice_ledger(wildcards):
    return f"{RESTRICTED}/ledger/{wildcards.practice}.tsv"


def practice_shareable_items(wildcards):
    return [
        f"{SHAREABLE}/items/{wildcards.practice}/{item.item_id}.json"
        for item in ITEMS_BY_PRACTICE[wildcards.practice]
    ]


def practice_anonymisation_logs(wildcards):
    return [
        f"{RESTRICTED}/anonymisation-log/{wildcards.practice}/{item.item_id}.tsv"
        for item in ITEMS_BY_PRACTICE[wildcards.practice]
    ]


def practice_item_records(wildcards):
    """The practice's manifest rows (the risk report reads their roles)."""
    return [asdict(item) for item in ITEMS_BY_PRACTICE[wildcards.practice]]


def generalise_settings(wildcards):
    """Only the generalisations shape a shareable item's metadata (the shared role)."""
    return {"generalise": config["pseudonymisation"].get("generalise", {})}


def all_risk_reports(wildcards=None):
    return [
        f"{RESTRICTED}/risk/{practice}.{ext}"
        for practice in ITEMS_BY_PRACTICE
        for ext in ("tsv", "html")
    ]


def transcript_format_outputs(stem, exclude=()):
    """Named outputs {format key: path} of a transcript's analysis formats."""
    return {
        output_key(fmt): f"{stem}.{fmt}"
        for fmt in TRANSCRIPT_FORMATS
        if fmt not in exclude
    }


def all_shareable_items(wildcards=None):
    """Every shareable item file: JSON and text, plus the analysis formats of recordings."""
    return [
        f"{SHAREABLE}/items/{practice}/{item.item_id}.{ext}"
        for practice, items in ITEMS_BY_PRACTICE.items()
        for item in items
        for ext in ("json", *(TRANSCRIPT_FORMATS if item.is_recording else ("txt",)))
    ]


def shares_audio(item):
    try:
        return item.is_recording and share_mode(AUDIO, item.item_id) == "redacted"
    except FieldcorpusError as error:
        raise WorkflowError(f"fieldcorpus: {error}") from None


def shareable_audio_paths(items):
    """Redacted copies of these items' recordings, where config `audio` asks for them."""
    return [
        f"{SHAREABLE}/audio/{item.practice}/{item.item_id}.{AUDIO_EXT}"
        for item in items
        if shares_audio(item)
    ]


def all_shareable_audio(wildcards=None):
    return shareable_audio_paths(
        [i for items in ITEMS_BY_PRACTICE.values() for i in items]
    )


def practice_shareable_audio(wildcards):
    return shareable_audio_paths(ITEMS_BY_PRACTICE[wildcards.practice])


def gate_hits_path(wildcards):
    return f"{RESTRICTED}/review/gate/{wildcards.practice}/{wildcards.item_id}.tsv"


def files_made_from_item(wildcards):
    """Shareable files an earlier run made from an item's text: its other formats and audio,
    its practice's and the study's corpora, casebook, QDA project and summaries, and the
    leak-check report that passed them. The gate removes them when it withholds the item.
    """
    item = manifest_item(wildcards)
    groups = {item.practice, "all"}
    return [
        *shareable_files_of_item(item.item_id),
        *(
            path
            for path in all_corpora()
            if groups & set(Path(path).relative_to(SHAREABLE).parent.parts)
        ),
        *(path for path in all_corpora() if Path(path).name.split(".")[0] in groups),
        f"{SHAREABLE}/leak-check.tsv",
    ]


def redaction_log_path(wildcards):
    return f"{RESTRICTED}/redaction-log/{wildcards.practice}/{wildcards.item_id}.tsv"


def all_restricted_transcript_formats(wildcards=None):
    return [
        f"{RESTRICTED}/transcripts/{practice}/{item.item_id}.{fmt}"
        for practice, items in ITEMS_BY_PRACTICE.items()
        for item in items
        if item.is_recording
        for fmt in TRANSCRIPT_FORMATS
    ]


def _shareable_docx(items):
    """DOCX transcripts of these items, where a rule makes them shareable (none until one does)."""
    produced = set(all_shareable_items())
    paths = [f"{SHAREABLE}/items/{item.practice}/{item.item_id}.docx" for item in items]
    return [path for path in paths if path in produced]


def practice_item_docx(wildcards):
    return _shareable_docx(ITEMS_BY_PRACTICE[wildcards.practice])


def practice_qdpx_name(wildcards):
    return f"{config['corpus']['qdpx_project_name']} {wildcards.practice}"


def all_item_docx(wildcards=None):
    return _shareable_docx([i for items in ITEMS_BY_PRACTICE.values() for i in items])


def all_practice_summaries(wildcards=None):
    return [
        f"{SHAREABLE}/summaries/{practice}/summary.tsv"
        for practice in ITEMS_BY_PRACTICE
    ]


def all_corpora(wildcards=None):
    """Every corpus-stage output in shareable/: the leak check scans them all."""
    groups = [*ITEMS_BY_PRACTICE, "all"]
    return [
        *(
            f"{SHAREABLE}/corpus/{group}/{name}"
            for group in groups
            for name in (
                "corpus.parquet",
                "corpus.csv",
                "corpus.jsonl",
                "data-dictionary.md",
            )
        ),
        *(f"{SHAREABLE}/qda/{group}.qdpx" for group in groups),
        *(
            f"{SHAREABLE}/casebook/{practice}/casebook.{ext}"
            for practice in ITEMS_BY_PRACTICE
            for ext in ("md", "html")
        ),
        *(
            f"{SHAREABLE}/summaries/{practice}/{name}"
            for practice in ITEMS_BY_PRACTICE
            for name in ("summary.tsv", "timeline.png")
        ),
        f"{SHAREABLE}/summaries/all/summary.tsv",
        f"{SHAREABLE}/summaries/all/summary.html",
    ]


def all_ledger_states(wildcards=None):
    return [
        f"{RESTRICTED}/ledger/{practice}.state.json" for practice in ITEMS_BY_PRACTICE
    ]


def all_ledgers(wildcards=None):
    return [f"{RESTRICTED}/ledger/{practice}.tsv" for practice in ITEMS_BY_PRACTICE]


def manifest_item_ids(wildcards=None):
    return sorted(MANIFEST.items)


def get_final_outputs():
    return [
        f"{SHAREABLE}/leak-check.tsv",
        *all_corpora(),
        *all_shareable_items(),
        *all_shareable_audio(),
        *all_item_lineage(),
        f"{SHAREABLE}/ro-crate-metadata.json",
        *all_restricted_transcript_formats(),
        *all_risk_reports(),
    ]


def all_shareable_json(wildcards=None):
    return [path for path in all_shareable_items() if path.endswith(".json")]


def shareable_root_of_report(wildcards, output):
    """The shareable zone is the directory the leak-check report sits in."""
    return os.path.dirname(output.report)


def all_item_lineage(wildcards=None):
    return [
        f"{SHAREABLE}/provenance/{item_id}.json" for item_id in sorted(MANIFEST.items)
    ]


SHAREABLE_FILES_BY_ITEM = {}


def shareable_files_of_item(item_id):
    """The per-item files under shareable/items/ (whatever formats all_shareable_items lists)
    and shareable/audio/."""
    if not SHAREABLE_FILES_BY_ITEM:
        for path in [*all_shareable_items(), *all_shareable_audio()]:
            stem = os.path.basename(path).split(".", 1)[0]
            SHAREABLE_FILES_BY_ITEM.setdefault(stem, []).append(path)
    return SHAREABLE_FILES_BY_ITEM.get(item_id, [])


def item_lineage_inputs(wildcards):
    item = manifest_item(wildcards)
    prefix = f"{item.practice}/{item.item_id}"
    return {
        "inventory": f"{RESTRICTED}/inventory/{prefix}.json",
        "units": item_units(wildcards),
        "detections": f"{RESTRICTED}/entities/{prefix}.json",
        "ledger_state": f"{RESTRICTED}/ledger/{item.practice}.state.json",
        "anonymisation_log": f"{RESTRICTED}/anonymisation-log/{prefix}.tsv",
        "shareable": shareable_files_of_item(item.item_id),
        "register": config["register"],
        "allow_list": config["allow_list"],
    }


def item_lineage_settings(wildcards):
    item = manifest_item(wildcards)
    return item_settings(config, item.is_recording, shares_audio(item))


def shareable_report():
    name = config["provenance"].get("report", "")
    return os.path.join(SHAREABLE, name) if name else None


def crate_inputs(wildcards):
    """Every shareable output the workflow makes, and the Snakemake report once it exists."""
    crate = f"{SHAREABLE}/ro-crate-metadata.json"
    inputs = {
        "files": [
            path
            for path in get_final_outputs()
            if path != crate and path.startswith(f"{SHAREABLE}/")
        ],
        "lineage": all_item_lineage(),
        "manifest": config["manifest"],
        "register": config["register"],
    }
    report_path = shareable_report()
    if report_path and os.path.isfile(report_path):
        inputs["report"] = report_path
    return inputs


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


def zone_roots_of_lineage(wildcards, output):
    """(restricted root, shareable root): two levels above the item's lineage records."""
    return {
        "restricted": os.path.dirname(os.path.dirname(output.restricted)),
        "shareable": os.path.dirname(os.path.dirname(output.shareable)),
    }


def shareable_root_of_crate(wildcards, output):
    return os.path.dirname(output.crate)
