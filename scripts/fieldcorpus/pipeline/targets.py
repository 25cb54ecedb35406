"""What the workflow makes from a manifest: the files `rule all` asks for and the per-item and
per-practice file lists the rules' input functions hand to Snakemake (rules/common.smk calls
these and nothing else). Paths come from pipeline.layout."""

from __future__ import annotations

from dataclasses import asdict
from functools import cached_property

from fieldcorpus.audio.redaction import AUDIO_FORMATS, audio_extension, share_mode
from fieldcorpus.formats import TRANSCRIPT_FORMATS, output_key
from fieldcorpus.manifest import Item, Manifest
from fieldcorpus.pipeline.layout import (
    CASEBOOK_FORMATS,
    CORPUS_FILES,
    ITEM_ID,
    PRACTICE,
    STUDY,
    STUDY_SUMMARY_FILES,
    SUMMARY_FILES,
    Layout,
)
from fieldcorpus.provenance.lineage import item_settings

# Settings of the transcription section that shape a transcript's text renderings.
PAUSE_SETTINGS = ("pause_marks", "pause_min_seconds")


def format_outputs(stem: str, formats: tuple[str, ...] = TRANSCRIPT_FORMATS) -> dict[str, str]:
    """Named outputs {format key: path} of a transcript's analysis formats."""
    return {output_key(fmt): f"{stem}.{fmt}" for fmt in formats}


class Targets:
    def __init__(self, manifest: Manifest, layout: Layout, config: dict):
        self.manifest = manifest
        self.layout = layout
        self.config = config
        self.audio = config.get("audio") or {}
        self.audio_ext = audio_extension(self.audio)

    @cached_property
    def by_practice(self) -> dict[str, list[Item]]:
        """Items per practice in ledger order: wave, date, item id."""
        return self.manifest.by_practice()

    @cached_property
    def items(self) -> list[Item]:
        return [item for items in self.by_practice.values() for item in items]

    def item(self, item_id: str) -> Item:
        return self.manifest.items[item_id]

    @staticmethod
    def record(item: Item) -> dict:
        return asdict(item)

    # per item
    def units(self, item: Item) -> str:
        return self.layout.units(item.practice, item.item_id, item.is_recording)

    def shares_audio(self, item: Item) -> bool:
        return item.is_recording and share_mode(self.audio, item.item_id) == "redacted"

    def shareable_item_files(self, item: Item) -> list[str]:
        """The item's files under shareable/items/: JSON and text, plus a recording's formats."""
        formats = TRANSCRIPT_FORMATS if item.is_recording else ("txt",)
        return [
            self.layout.shareable_item(item.practice, item.item_id, ext)
            for ext in ("json", *formats)
        ]

    def shareable_audio(self, items: list[Item]) -> list[str]:
        """Redacted copies of these items' recordings, where config `audio` asks for them."""
        return [
            self.layout.shareable_audio(item.practice, item.item_id, self.audio_ext)
            for item in items
            if self.shares_audio(item)
        ]

    def shareable_files_of_item(self, item: Item) -> list[str]:
        return [*self.shareable_item_files(item), *self.shareable_audio([item])]

    def restricted_formats(self, practice: str = PRACTICE, item_id: str = ITEM_ID) -> dict:
        """A recording's restricted analysis copies, {output key: path} (all formats)."""
        stem = self.layout.transcript(practice, item_id, "json").removesuffix(".json")
        return format_outputs(stem)

    def shareable_formats(self, practice: str = PRACTICE, item_id: str = ITEM_ID) -> dict:
        """A recording's shareable renderings beside its .txt (which pseudonymise_item writes)."""
        stem = self.layout.shareable_item(practice, item_id, "json").removesuffix(".json")
        return format_outputs(stem, tuple(f for f in TRANSCRIPT_FORMATS if f != "txt"))

    def text_settings(self, item: Item) -> dict:
        """Pause marks for a recording's text renderings, as in its other formats."""
        if not item.is_recording:
            return {}
        settings = self.config["transcription"]
        return {key: settings[key] for key in PAUSE_SETTINGS if key in settings}

    def lineage_settings(self, item: Item) -> dict:
        return item_settings(self.config, item.is_recording, self.shares_audio(item))

    def lineage_target(self, item: Item) -> dict:
        """What an item's lineage records are made from, and where they go
        (provenance.lineage.write_item_lineage)."""
        layout, practice, item_id = self.layout, item.practice, item.item_id
        return {
            "item": self.record(item),
            "inventory": layout.inventory(practice, item_id),
            "units": self.units(item),
            "detections": layout.detections(practice, item_id),
            "ledger_state": layout.ledger_state(practice),
            "anonymisation_log": layout.anonymisation_log(practice, item_id),
            "shareable_files": self.shareable_files_of_item(item),
            "settings": self.lineage_settings(item),
            "shareable": layout.lineage(item_id),
            "restricted": layout.restricted_lineage(item_id),
        }

    def files_made_from_item(self, item: Item) -> list[str]:
        """Shareable files an earlier run made from an item's text: its files, any redacted
        copy of its recording (whether or not `audio` shares it now, in either format), its
        practice's and the study's corpora, casebook, QDA project and summaries, and the
        leak-check report that passed them. The gate removes them when it withholds the item.

        The list does not follow `audio`, so that opting a recording in or out of shareable
        audio does not pseudonymise and render its text again."""
        copies = [
            self.layout.shareable_audio(item.practice, item.item_id, ext)
            for ext in (AUDIO_FORMATS if item.is_recording else ())
        ]
        return [
            *self.shareable_item_files(item),
            *copies,
            *self.corpora_of(item.practice),
            *self.corpora_of(STUDY),
            self.layout.leak_check,
        ]

    # per practice
    def practice_units(self, practice: str) -> list[str]:
        return [self.units(item) for item in self.by_practice[practice]]

    def practice_detections(self, practice: str) -> list[str]:
        return [
            self.layout.detections(practice, item.item_id) for item in self.by_practice[practice]
        ]

    def practice_shareable_json(self, practice: str) -> list[str]:
        return [
            self.layout.shareable_item(practice, item.item_id)
            for item in self.by_practice[practice]
        ]

    def practice_anonymisation_logs(self, practice: str) -> list[str]:
        return [
            self.layout.anonymisation_log(practice, item.item_id)
            for item in self.by_practice[practice]
        ]

    def practice_item_records(self, practice: str) -> list[dict]:
        return [asdict(item) for item in self.by_practice[practice]]

    def all_risk_reports(self) -> list[str]:
        return [
            self.layout.risk(practice, ext)
            for practice in self.by_practice
            for ext in ("tsv", "html")
        ]

    def docx(self, items: list[Item]) -> list[str]:
        """DOCX transcripts of these items (recordings are rendered to DOCX, documents not)."""
        return [
            self.layout.shareable_item(item.practice, item.item_id, "docx")
            for item in items
            if item.is_recording and "docx" in TRANSCRIPT_FORMATS
        ]

    def corpora_of(self, group: str) -> list[str]:
        """Corpus-stage outputs of one practice, or of the study (group 'all')."""
        layout = self.layout
        files = [layout.corpus(group, name) for name in CORPUS_FILES] + [layout.qdpx(group)]
        if group == STUDY:
            return files + [layout.summary(group, name) for name in STUDY_SUMMARY_FILES]
        return [
            *files,
            *(layout.casebook(group, ext) for ext in CASEBOOK_FORMATS),
            *(layout.summary(group, name) for name in SUMMARY_FILES),
        ]

    # the study
    def all_shareable_items(self) -> list[str]:
        return [path for item in self.items for path in self.shareable_item_files(item)]

    def all_shareable_json(self) -> list[str]:
        return [self.layout.shareable_item(item.practice, item.item_id) for item in self.items]

    def all_shareable_audio(self) -> list[str]:
        return self.shareable_audio(self.items)

    def all_corpora(self) -> list[str]:
        """Every corpus-stage output in shareable/: the leak check scans them all."""
        return [path for group in [*self.by_practice, STUDY] for path in self.corpora_of(group)]

    def all_lineage(self) -> list[str]:
        return [self.layout.lineage(item_id) for item_id in sorted(self.manifest.items)]

    def lineage_targets(self) -> list[dict]:
        return [self.lineage_target(self.item(item_id)) for item_id in sorted(self.manifest.items)]

    def all_ledgers(self) -> list[str]:
        return [self.layout.ledger(practice) for practice in self.by_practice]

    def all_ledger_states(self) -> list[str]:
        return [self.layout.ledger_state(practice) for practice in self.by_practice]

    def all_practice_summaries(self) -> list[str]:
        return [self.layout.summary(practice) for practice in self.by_practice]

    def all_restricted_transcript_formats(self) -> list[str]:
        return [
            self.layout.transcript(item.practice, item.item_id, fmt)
            for item in self.items
            if item.is_recording
            for fmt in TRANSCRIPT_FORMATS
        ]

    def final_outputs(self) -> list[str]:
        """What `rule all` asks for: every output a run ends with, each by name, so that one
        deleted by hand is made again (Snakemake makes a missing file only for a job that has
        to run: the leak check, up to date, would not ask for its missing input). Not the
        lineage folders: leak_check writes them with leak-check.tsv."""
        return [
            self.layout.leak_check,
            *self.all_corpora(),
            *self.all_shareable_items(),
            *self.all_shareable_audio(),
            self.layout.crate,
            *self.all_restricted_transcript_formats(),
            *self.all_risk_reports(),
        ]

    def leak_check_inputs(self) -> list[str]:
        """The shareable outputs the leak check waits for: all but itself and the crate."""
        return [*self.all_shareable_items(), *self.all_shareable_audio(), *self.all_corpora()]

    def final_shareable_outputs(self) -> list[str]:
        """What the crate lists: every shareable output but the crate itself and the lineage
        records (which come with leak-check.tsv, one of these)."""
        prefix = f"{self.layout.shareable}/"
        return [
            path
            for path in self.final_outputs()
            if path != self.layout.crate and path.startswith(prefix)
        ]

    def crate_files(self) -> list[str]:
        """Every shareable output the crate lists (all but the crate itself)."""
        return [*self.final_shareable_outputs(), *self.all_lineage(), self.layout.lineage_marker]
