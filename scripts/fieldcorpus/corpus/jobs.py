"""One function per rule of rules/corpus.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import logging

from fieldcorpus.corpus.casebook import casebook_html, casebook_markdown, load_documents
from fieldcorpus.corpus.qdpx import docx_by_item, write_qdpx
from fieldcorpus.corpus.summaries import write_practice_summary, write_study_summary
from fieldcorpus.deid.risk import write_risk_report
from fieldcorpus.files import (
    SHAREABLE_FILE_MODE,
    atomic_write_text,
    read_json,
)

log = logging.getLogger("fieldcorpus")


def assemble_study_corpus(
    items: list[str],
    parquet: str,
    csv: str,
    settings: dict,
    jsonl: str | None = None,
    dictionary: str | None = None,
) -> None:
    # Imported here: pandas and pyarrow cost every other corpus job 0.8 s of CPU.
    from fieldcorpus.corpus.tables import build_corpus, write_corpus

    frame = build_corpus(items)
    write_corpus(frame, parquet, csv, bool(settings.get("csv_excel_bom", True)), jsonl, dictionary)
    log.info("corpus: %d units from %d items", len(frame), len(items))


def assemble_practice_corpus(
    items: list[str],
    parquet: str,
    csv: str,
    settings: dict,
    jsonl: str,
    dictionary: str,
    risk: dict,
) -> None:
    """The practice's corpus, then its re-identification risk report (restricted), which reads
    the same shared items: `risk` holds write_risk_report's arguments but the items."""
    assemble_study_corpus(items, parquet, csv, settings, jsonl, dictionary)
    write_risk_report(shared_items=items, **risk)


def build_casebook(items: list[str], practice: str, markdown: str, html: str) -> None:
    documents = load_documents(items)
    atomic_write_text(markdown, casebook_markdown(practice, documents), SHAREABLE_FILE_MODE)
    atomic_write_text(html, casebook_html(practice, documents), SHAREABLE_FILE_MODE)
    log.info("casebook %s: %d items", practice, len(documents))


def export_practice_qdpx(
    items: list[str], docx: list[str], output: str, name: str, audio: list[str] | None = None
) -> None:
    documents = [read_json(path) for path in items]
    # Shareable audio is named <item_id>.<ext> like the DOCX transcripts.
    write_qdpx(output, documents, name, docx_by_item(docx), docx_by_item(audio or []))
    log.info(
        "qdpx %s: %d sources, %d with a DOCX transcript, %d with redacted audio",
        name,
        len(documents),
        len(docx),
        len(audio or []),
    )


export_study_qdpx = export_practice_qdpx


def summarise_practice(items: list[str], practice: str, tsv: str, png: str, dpi: int) -> None:
    rows = write_practice_summary(practice, [read_json(p) for p in items], tsv, png, dpi)
    log.info("summary %s: %d practice-wave-kind rows", practice, len(rows))


def summarise_study(practice_tsvs: list[str], tsv: str, html: str) -> None:
    rows = write_study_summary(practice_tsvs, tsv, html)
    log.info("study summary: %d practice-wave-kind rows", len(rows))
