"""Every output path of the pipeline (DESIGN.md names them), spelt once.

Each method takes the wildcards it needs and defaults them to Snakemake's own placeholders, so
`layout.transcript()` is the rule's output template and `layout.transcript("P01", "P01-W1-INT-01")`
is one item's file. The rules, their input functions (pipeline.targets), the CLI and status
all build paths here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fieldcorpus.files import DIRECTORY_MARKER

PRACTICE = "{practice}"
ITEM_ID = "{item_id}"
# The group name of study-wide outputs beside the per-practice ones (corpus/all, qda/all.qdpx).
STUDY = "all"
CORPUS_FILES = ("corpus.parquet", "corpus.csv", "corpus.jsonl", "data-dictionary.md")
SUMMARY_FILES = ("summary.tsv", "timeline.png")
STUDY_SUMMARY_FILES = ("summary.tsv", "summary.html")
CASEBOOK_FORMATS = ("md", "html")
LOGS = "logs"


@dataclass(frozen=True)
class Layout:
    restricted: str
    shareable: str

    @classmethod
    def from_config(cls, config: dict, root: str | os.PathLike | None = None) -> Layout:
        """The layout of a config's zones; relative zones under `root` when given (the CLI)."""

        def zone(key: str) -> str:
            path = Path(config[key])
            return (
                str(Path(root) / path) if root is not None and not path.is_absolute() else str(path)
            )

        return cls(zone("restricted_dir"), zone("shareable_dir"))

    # restricted/
    def inventory(self, practice: str = PRACTICE, item_id: str = ITEM_ID) -> str:
        return f"{self.restricted}/inventory/{practice}/{item_id}.json"

    def transcript(
        self, practice: str = PRACTICE, item_id: str = ITEM_ID, ext: str = "json"
    ) -> str:
        return f"{self.restricted}/transcripts/{practice}/{item_id}.{ext}"

    def document_text(self, practice: str = PRACTICE, item_id: str = ITEM_ID) -> str:
        return f"{self.restricted}/text/{practice}/{item_id}.json"

    def units(self, practice: str, item_id: str, is_recording: bool) -> str:
        """An item's restricted units: its transcript or its extracted document text."""
        if is_recording:
            return self.transcript(practice, item_id)
        return self.document_text(practice, item_id)

    def detections(self, practice: str = PRACTICE, item_id: str = ITEM_ID) -> str:
        """An item's detections: the per-item detection cache (fieldcorpus.deid.detectcache)."""
        return f"{self.restricted}/entities/{practice}/{item_id}.json"

    def ledger(self, practice: str = PRACTICE) -> str:
        return f"{self.restricted}/ledger/{practice}.tsv"

    def ledger_state(self, practice: str = PRACTICE) -> str:
        return f"{self.restricted}/ledger/{practice}.state.json"

    @property
    def review_dir(self) -> str:
        return f"{self.restricted}/review"

    def review(self, practice: str = PRACTICE, ext: str = "tsv") -> str:
        return f"{self.review_dir}/{practice}.{ext}"

    @property
    def gate_dir(self) -> str:
        return f"{self.review_dir}/gate"

    def gate_hits(self, practice: str = PRACTICE, item_id: str = ITEM_ID) -> str:
        return f"{self.gate_dir}/{practice}/{item_id}.tsv"

    @property
    def shareable_gate_hits(self) -> str:
        return f"{self.gate_dir}/shareable-files.tsv"

    def anonymisation_log(self, practice: str = PRACTICE, item_id: str = ITEM_ID) -> str:
        return f"{self.restricted}/anonymisation-log/{practice}/{item_id}.tsv"

    def restricted_audio(
        self, practice: str = PRACTICE, item_id: str = ITEM_ID, ext: str = "flac"
    ) -> str:
        """The redacted copy (ext: the audio format) and its work files (spans.tsv, check.json)."""
        return f"{self.restricted}/audio/{practice}/{item_id}.{ext}"

    def risk(self, practice: str = PRACTICE, ext: str = "tsv") -> str:
        return f"{self.restricted}/risk/{practice}.{ext}"

    def risk_review(self, practice: str = PRACTICE) -> str:
        return f"{self.review_dir}/risk/{practice}.tsv"

    def redaction_log(self, practice: str = PRACTICE, item_id: str = ITEM_ID) -> str:
        return f"{self.restricted}/redaction-log/{practice}/{item_id}.tsv"

    @property
    def restricted_lineage_dir(self) -> str:
        return f"{self.restricted}/provenance"

    def restricted_lineage(self, item_id: str = ITEM_ID) -> str:
        return f"{self.restricted_lineage_dir}/{item_id}.json"

    @property
    def audit_tsv(self) -> str:
        return f"{self.restricted}/audit/audit.tsv"

    # shareable/
    def shareable_item(
        self, practice: str = PRACTICE, item_id: str = ITEM_ID, ext: str = "json"
    ) -> str:
        return f"{self.shareable}/items/{practice}/{item_id}.{ext}"

    def shareable_audio(
        self, practice: str = PRACTICE, item_id: str = ITEM_ID, ext: str = "flac"
    ) -> str:
        return f"{self.shareable}/audio/{practice}/{item_id}.{ext}"

    @property
    def lineage_dir(self) -> str:
        """The lineage records: one folder, an output of leak_check (rules/pseudonymise.smk)."""
        return f"{self.shareable}/provenance"

    def lineage(self, item_id: str = ITEM_ID) -> str:
        return f"{self.lineage_dir}/{item_id}.json"

    @property
    def lineage_marker(self) -> str:
        """Snakemake's completion marker in the lineage folder (an empty file)."""
        return f"{self.lineage_dir}/{DIRECTORY_MARKER}"

    def corpus(self, group: str = PRACTICE, name: str = "corpus.parquet") -> str:
        return f"{self.shareable}/corpus/{group}/{name}"

    def qdpx(self, group: str = PRACTICE) -> str:
        return f"{self.shareable}/qda/{group}.qdpx"

    def casebook(self, practice: str = PRACTICE, ext: str = "md") -> str:
        return f"{self.shareable}/casebook/{practice}/casebook.{ext}"

    def summary(self, group: str = PRACTICE, name: str = "summary.tsv") -> str:
        return f"{self.shareable}/summaries/{group}/{name}"

    @property
    def leak_check(self) -> str:
        return f"{self.shareable}/leak-check.tsv"

    @property
    def crate(self) -> str:
        return f"{self.shareable}/ro-crate-metadata.json"

    @staticmethod
    def job_log(rule: str, *wildcards: str) -> str:
        """A job's log, relative to the working directory: logs/<rule>/<wildcards...>.log."""
        return "/".join((LOGS, rule, *wildcards)) + ".log"
