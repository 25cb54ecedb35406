"""Audit: recompute checksums and compare them with the lineage records and the RO-Crate.

Findings name items and shareable files, never raw paths or raw file names, so the summary and
the TSV can be shown to an auditor.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    atomic_write_text,
    make_restricted_dirs,
    sha256_file,
)
from fieldcorpus.provenance.crate import CRATE_NAME, listed_files
from fieldcorpus.provenance.lineage import components, effective_version

LINEAGE_DIR = "provenance"
FINDING_KINDS = {
    "raw-missing": "raw file missing since processing",
    "raw-changed": "raw file changed since processing",
    "shareable-missing": "shareable file missing",
    "shareable-edited": "shareable file differs from its recorded checksum (edited by hand?)",
    "unlisted-file": "file in the shareable zone that the pipeline did not produce",
    "never-processed": "manifest item never processed (no lineage record)",
    "not-in-manifest": "lineage record for an item no longer in the manifest",
    "mixed-pipeline-version": "made by a different pipeline version than the rest",
    "mixed-model": "made with a different engine or model than the rest",
    "crate-missing": "no RO-Crate in the shareable zone",
    "unreadable": "a manifest, lineage record or crate cannot be read",
}


@dataclass(frozen=True, order=True)
class Finding:
    kind: str
    item_id: str
    file: str
    detail: str


@dataclass
class AuditResult:
    findings: list[Finding]
    items: int
    shareable_files: int
    raw_files: int

    @property
    def passed(self) -> bool:
        return not self.findings


def manifest_rows(manifest: str | Path) -> dict[str, dict]:
    """item_id -> row, read leniently: the audit must still run when rows point at missing files."""
    with open(manifest, encoding="utf-8-sig", newline="") as handle:
        lines = [line for line in handle.read().splitlines() if line.strip()]
    reader = csv.DictReader(lines, delimiter="\t")
    return {
        row["item_id"].strip(): {k: (v or "").strip() for k, v in row.items() if k}
        for row in reader
        if row.get("item_id")
    }


def _load_lineage(shareable: Path, findings: list[Finding]) -> dict[str, dict]:
    records = {}
    for path in sorted((shareable / LINEAGE_DIR).glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            records[record["item"]["item_id"]] = record
        except (ValueError, KeyError, TypeError):
            findings.append(
                Finding("unreadable", path.stem, f"shareable:{LINEAGE_DIR}/{path.name}", "")
            )
    return records


def _check_file(
    shareable: Path, relative: str, expected: str | None, item_id: str, findings: list[Finding]
) -> bool:
    path = shareable / relative
    if not path.is_file():
        findings.append(Finding("shareable-missing", item_id, f"shareable:{relative}", ""))
        return False
    actual = sha256_file(path)
    if expected is not None and actual != expected:
        findings.append(
            Finding(
                "shareable-edited",
                item_id,
                f"shareable:{relative}",
                f"recorded sha256 {expected[:12]}, now {actual[:12]}",
            )
        )
        return False
    return True


def _minorities(values: dict[str, str]) -> tuple[str, list[str]]:
    """The most common value and the keys whose value differs from it."""
    counts = Counter(values.values())
    common = sorted(counts, key=lambda v: (-counts[v], v))[0]
    return common, sorted(k for k, v in values.items() if v != common)


def _short(value: str) -> str:
    return value if len(value) <= 24 else f"{value[:12]}…"


def run_audit(
    manifest: str | Path,
    fieldwork_dir: str | Path,
    shareable_dir: str | Path,
    known_files: tuple[str, ...] = (),
) -> AuditResult:
    """Audit one study. `known_files` are shareable files allowed outside the crate (the report)."""
    shareable = Path(shareable_dir)
    fieldwork = Path(fieldwork_dir)
    findings: list[Finding] = []
    try:
        rows = manifest_rows(manifest)
    except (OSError, UnicodeDecodeError, csv.Error):
        rows = {}
        findings.append(Finding("unreadable", "-", "manifest", "cannot read the manifest"))
    records = _load_lineage(shareable, findings)
    item_of_file = {
        output: item_id
        for item_id, record in records.items()
        for output in record.get("shareable_outputs", {})
    }
    checked: set[str] = set()

    crate_path = shareable / CRATE_NAME
    listed: dict[str, str | None] = {}
    if not crate_path.is_file():
        findings.append(Finding("crate-missing", "-", f"shareable:{CRATE_NAME}", ""))
    else:
        try:
            listed = listed_files(json.loads(crate_path.read_text(encoding="utf-8")))
        except ValueError:
            findings.append(Finding("unreadable", "-", f"shareable:{CRATE_NAME}", ""))

    raw_files = 0
    for item_id in sorted(rows):
        record = records.get(item_id)
        if record is None:
            # A lineage record the crate lists was made and then lost: reported as missing below.
            if f"{LINEAGE_DIR}/{item_id}.json" not in listed:
                findings.append(Finding("never-processed", item_id, "-", ""))
            continue
        raw_path = fieldwork / rows[item_id].get("path", "")
        raw_files += 1
        if not rows[item_id].get("path") or not raw_path.is_file():
            findings.append(Finding("raw-missing", item_id, f"raw:{item_id}", ""))
        else:
            expected = record.get("raw", {}).get("sha256")
            actual = sha256_file(raw_path)
            if actual != expected:
                findings.append(
                    Finding(
                        "raw-changed",
                        item_id,
                        f"raw:{item_id}",
                        f"recorded sha256 {str(expected)[:12]}, now {actual[:12]}",
                    )
                )
        for relative, expected in sorted(record.get("shareable_outputs", {}).items()):
            _check_file(shareable, relative, expected, item_id, findings)
            checked.add(relative)
    for item_id in sorted(set(records) - set(rows)):
        findings.append(
            Finding("not-in-manifest", item_id, f"shareable:{LINEAGE_DIR}/{item_id}.json", "")
        )

    known_items = set(rows) | set(records)
    for relative, expected in sorted(listed.items()):
        if relative in checked:
            continue
        item_id = item_of_file.get(relative) or _lineage_item(relative, known_items)
        _check_file(shareable, relative, expected, item_id, findings)
        checked.add(relative)
    allowed = {CRATE_NAME, *known_files, *listed, *checked}
    present = [
        p.relative_to(shareable).as_posix()
        for p in sorted(shareable.rglob("*"))
        if p.is_file() and not (p.name.startswith(".") and p.name.endswith(".partial"))
    ]
    for relative in present:
        if relative not in allowed:
            findings.append(
                Finding(
                    "unlisted-file", item_of_file.get(relative, "-"), f"shareable:{relative}", ""
                )
            )

    findings.extend(_mixed_findings(records))
    return AuditResult(
        findings=sorted(set(findings)),
        items=len(rows),
        shareable_files=len(checked),
        raw_files=raw_files,
    )


def _lineage_item(relative: str, item_ids: set[str]) -> str:
    stem = Path(relative).name.split(".", 1)[0]
    return stem if relative.startswith(f"{LINEAGE_DIR}/") and stem in item_ids else "-"


def _mixed_findings(records: dict[str, dict]) -> list[Finding]:
    findings = []
    if len(records) < 2:
        return findings
    versions = {item_id: effective_version(r) for item_id, r in records.items()}
    common, odd = _minorities(versions)
    commits = {item_id: str(r.get("pipeline", {}).get("commit")) for item_id, r in records.items()}
    for item_id in odd:
        findings.append(
            Finding(
                "mixed-pipeline-version",
                item_id,
                f"shareable:{LINEAGE_DIR}/{item_id}.json",
                f"code sha256 {_short(versions[item_id])} (commit {_short(commits[item_id])}); "
                f"most items: {_short(common)}",
            )
        )
    by_component: dict[str, dict[str, str]] = {}
    for item_id, record in records.items():
        for component, value in components(record).items():
            by_component.setdefault(component, {})[item_id] = value
    for component, values in sorted(by_component.items()):
        if len(set(values.values())) < 2:
            continue
        common, odd = _minorities(values)
        for item_id in odd:
            findings.append(
                Finding(
                    "mixed-model",
                    item_id,
                    f"shareable:{LINEAGE_DIR}/{item_id}.json",
                    f"{component}: {values[item_id]}; most items: {common}",
                )
            )
    return findings


def findings_to_tsv(findings: list[Finding]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, ("kind", "item_id", "file", "detail"), delimiter="\t", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(asdict(f) for f in findings)
    return buffer.getvalue()


def summary(result: AuditResult) -> str:
    checked = (
        f"{result.items} manifest items, {result.raw_files} raw files, "
        f"{result.shareable_files} shareable files checked"
    )
    if result.passed:
        return f"audit passed: {checked}; no findings\n"
    counts = Counter(f.kind for f in result.findings)
    lines = [f"audit FAILED: {len(result.findings)} finding(s); {checked}"]
    for kind in sorted(counts):
        lines.append(f"  {kind} ({FINDING_KINDS.get(kind, kind)}): {counts[kind]}")
    for finding in result.findings:
        detail = f" — {finding.detail}" if finding.detail else ""
        lines.append(f"  - {finding.kind}: item {finding.item_id}, {finding.file}{detail}")
    return "\n".join(lines) + "\n"


AUDIT_TSV = "audit/audit.tsv"


def write_findings(path: str | Path, text: str) -> Path:
    make_restricted_dirs(Path(path).parent)
    return atomic_write_text(path, text, RESTRICTED_FILE_MODE)


def audit_config(config: dict, tsv: str | None = None):
    """Audit the study a config describes; returns (result, TSV path)."""
    report = config.get("provenance", {}).get("report", "")
    result = run_audit(
        config["manifest"],
        config["fieldwork_dir"],
        config["shareable_dir"],
        known_files=(report,) if report else (),
    )
    path = Path(tsv) if tsv else Path(config["restricted_dir"]) / AUDIT_TSV
    write_findings(path, findings_to_tsv(result.findings))
    return result, path
