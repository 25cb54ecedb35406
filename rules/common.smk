import os
import sys
from dataclasses import asdict
from pathlib import Path

from snakemake.exceptions import WorkflowError

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import make_restricted_dirs
from fieldcorpus.formats import TRANSCRIPT_FORMATS, output_key
from fieldcorpus.manifest import load_manifest

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
    return os.path.join(config["fieldwork_dir"], manifest_item(wildcards).path)


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
    item = manifest_item(wildcards)
    zone = "transcripts" if item.is_recording else "text"
    return f"{RESTRICTED}/{zone}/{item.practice}/{item.item_id}.json"


def practice_detections(wildcards):
    """Detections of every item of a practice in ledger order: wave, date, item id."""
    return [
        f"{RESTRICTED}/entities/{wildcards.practice}/{item.item_id}.json"
        for item in ITEMS_BY_PRACTICE[wildcards.practice]
    ]


def practice_ledger(wildcards):
    return f"{RESTRICTED}/ledger/{wildcards.practice}.tsv"


def practice_shareable_items(wildcards):
    return [
        f"{SHAREABLE}/items/{wildcards.practice}/{item.item_id}.json"
        for item in ITEMS_BY_PRACTICE[wildcards.practice]
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


def all_restricted_transcript_formats(wildcards=None):
    return [
        f"{RESTRICTED}/transcripts/{practice}/{item.item_id}.{fmt}"
        for practice, items in ITEMS_BY_PRACTICE.items()
        for item in items
        if item.is_recording
        for fmt in TRANSCRIPT_FORMATS
    ]


def all_corpora(wildcards=None):
    groups = [*ITEMS_BY_PRACTICE, "all"]
    return [
        f"{SHAREABLE}/corpus/{group}/corpus.{ext}"
        for group in groups
        for ext in ("parquet", "csv")
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
        *all_restricted_transcript_formats(),
    ]


def all_shareable_json(wildcards=None):
    return [path for path in all_shareable_items() if path.endswith(".json")]


def shareable_root_of_report(wildcards, output):
    """The shareable zone is the directory the leak-check report sits in."""
    return os.path.dirname(output.report)
