"""The re-identification risk report and the generalisations, through Snakemake on copies of the
demo run: every kind planted into one new item is reported, and each generalisation switched
on reaches the shareable corpus and keeps the ledger consistent across a further wave."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fieldcorpus.deid.generalise import GROUPS
from fieldcorpus.deid.risk import RISK_COLUMNS
from fieldcorpus.files import read_tsv

from tests.conftest import REPO, copy_run, snakemake, tree_digest

RISK_KINDS = {"unique_role", "small_place", "exact_age", "exact_date", "family_relation",
              "occupation", "workplace", "rare_condition", "special_category",
              "k_anonymity"}  # fmt: skip
# Invented people (the demo register's David Price and Emma Wilson) and a real village of
# about 6,000 people that no gazetteer of larger towns lists.
PLANTED = [
    "Follow-up notes after the asthma clinic.",
    "Mr Price told me he is 47 years old and moved to Tottington last year.",
    "His next review was booked for 14 March 2025.",
    "He came with his daughter Emma Wilson, who helps with his inhalers.",
    "He works as a bus driver and does night shifts at the Tesco depot.",
    "He also has allergic bronchopulmonary aspergillosis, which the respiratory team follows.",
    "He is a practising Muslim and fasts during Ramadan.",
    "He said the practice manager sorted out his repeat prescriptions.",
]
LATER = [
    "Wave 4 notes: Mr Price still lives in Tottington.",
    "He is 47 years old now; his review on 14 March 2025 was his last one.",
]
GENERALISE = """pseudonymisation:
  event_dates: month
  generalise:
    ages: true
    roles: true
    small_places: true
"""


def add_text_item(workdir: Path, item_id: str, wave: int, date: str, lines: list[str]) -> None:
    relative = f"P01/wave{wave}/notes-{date}.txt"
    path = workdir / "demo/fieldwork" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    with open(workdir / "demo/manifest.tsv", "a", encoding="utf-8") as handle:
        handle.write(
            f"{item_id}\tP01\t{wave}\t{date}\tobservation\tresearcher\t{relative}\ten\t\t\n"
        )


def run(workdir: Path, *args: str) -> None:
    result = snakemake(workdir, *args)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


def status(workdir: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "fieldcorpus.cli", "status", "-d", str(workdir)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "scripts")},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def risk(workdir: Path, practice: str) -> list[dict]:
    return read_tsv(workdir / "results/restricted/risk" / f"{practice}.tsv")


def shareable_text(workdir: Path) -> str:
    root = workdir / "results/shareable"
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in (".json", ".txt", ".csv", ".jsonl", ".md", ".html", ".tsv")
    )


@pytest.fixture(scope="module")
def planted_run(demo_run, tmp_path_factory) -> Path:
    workdir = copy_run(demo_run, tmp_path_factory.mktemp("risk-planted") / "run")
    add_text_item(workdir, "P01-W3-OBS-01", 3, "2026-01-20", PLANTED)
    run(workdir)
    return workdir


@pytest.fixture(scope="module")
def generalised_run(demo_run, tmp_path_factory) -> dict:
    """Generalisations switched on with a third wave, then a fourth wave added."""
    workdir = copy_run(demo_run, tmp_path_factory.mktemp("risk-generalised") / "run")
    (workdir / "generalise.yaml").write_text(GENERALISE, encoding="utf-8")
    configs = ("--configfile", "config/config.yaml", "generalise.yaml")
    add_text_item(workdir, "P01-W3-OBS-01", 3, "2026-01-20", PLANTED)
    run(workdir, *configs)
    ledger = workdir / "results/restricted/ledger/P01.tsv"
    wave3 = {"ledger": read_tsv(ledger), "items": tree_digest(workdir / "results/shareable/items")}
    add_text_item(workdir, "P01-W4-OBS-01", 4, "2026-06-02", LATER)
    run(workdir, *configs)
    return {"workdir": workdir, "wave3": wave3, "ledger": read_tsv(ledger)}


def test_demo_reports_exist_restricted_and_flag_the_practice_manager(demo_run):
    restricted = demo_run / "results/restricted/risk"
    for practice in ("P01", "P02"):
        rows = risk(demo_run, practice)
        header = (restricted / f"{practice}.tsv").read_text(encoding="utf-8").splitlines()[0]
        assert tuple(header.split("\t")) == RISK_COLUMNS
        assert {r["kind"] for r in rows} >= {"unique_role", "k_anonymity"}
        assert (restricted / f"{practice}.html").is_file()
        assert oct((restricted / f"{practice}.tsv").stat().st_mode & 0o777) == "0o600"
    manager = [
        r
        for r in risk(demo_run, "P01")
        if r["kind"] == "unique_role" and r["detail"].startswith("role practice_manager ")
    ]
    assert {r["item_id"] for r in manager} == {"P01-W1-DOC-01", "P01-W2-DOC-01"}
    assert {r["level"] for r in manager} == {"high"}
    review = read_tsv(demo_run / "results/restricted/review/risk/P01.tsv")
    assert {"P01-W1-DOC-01", "P01-W2-DOC-01"} <= {r["item_id"] for r in review}
    shareable = demo_run / "results/shareable"
    assert not [p for p in shareable.rglob("*") if "risk" in p.name.lower()]
    details = {r["detail"] for r in risk(demo_run, "P01") if r["kind"] == "unique_role"}
    assert not any(detail in shareable_text(demo_run) for detail in details)
    assert (shareable / "leak-check.tsv").is_file()
    crate = json.loads((shareable / "ro-crate-metadata.json").read_text(encoding="utf-8"))
    root = next(e for e in crate["@graph"] if e["@id"] == "./")
    assert "Generalisations applied: none." in root["description"]
    printed = status(demo_run)
    assert "risk high/medium" in printed.splitlines()[0]
    print(printed)  # the figures the README quotes


def test_every_planted_kind_is_reported_for_its_item(planted_run):
    rows = [r for r in risk(planted_run, "P01") if r["item_id"] == "P01-W3-OBS-01"]
    assert {r["kind"] for r in rows} == RISK_KINDS
    levels = {(r["kind"], r["level"]) for r in rows}
    assert {("rare_condition", "high"), ("small_place", "medium"), ("exact_age", "medium"),
            ("exact_date", "medium"), ("k_anonymity", "high")} <= levels  # fmt: skip
    assert any("Tottington" in r["detail"] for r in rows if r["kind"] == "small_place")
    review = read_tsv(planted_run / "results/restricted/review/risk/P01.tsv")
    assert "risk:rare_condition" in {r["source"] for r in review}
    text = (planted_run / "results/shareable/items/P01/P01-W3-OBS-01.txt").read_text()
    assert "Tottington" not in text and "47 years old" in text and "14 March 2025" in text
    assert "Tottington" not in shareable_text(planted_run)
    wave3 = [line for line in status(planted_run).splitlines() if line.split()[:2] == ["P01", "3"]]
    assert wave3 and "1 of 1 below k" in wave3[0]


def test_generalisations_reach_the_shareable_corpus(generalised_run):
    workdir = generalised_run["workdir"]
    text = (workdir / "results/shareable/items/P01/P01-W3-OBS-01.txt").read_text()
    assert "[Age 40-49]" in text and "47 years" not in text
    assert "[Town]" in text and "Tottington" not in text
    assert "March 2025" in text and "14 March 2025" not in text
    corpus = pd.read_parquet(workdir / "results/shareable/corpus/all/corpus.parquet")
    assert set(corpus["role"].astype(str)) <= set(GROUPS)
    assert {"clinical", "administrative", "research"} <= set(corpus["role"].astype(str))
    lineage = json.loads((workdir / "results/shareable/provenance/P01-W1-DOC-01.json").read_text())
    assert lineage["item"]["role"] == "administrative"
    for path in (workdir / "results/shareable/items").rglob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["item"]["role"] in GROUPS
    crate = json.loads((workdir / "results/shareable/ro-crate-metadata.json").read_text())
    root = next(e for e in crate["@graph"] if e["@id"] == "./")
    assert (
        "Generalisations applied: ages, event_dates:month, roles, small_places."
        in (root["description"])
    )
    rows = risk(workdir, "P01")
    assert {r["level"] for r in rows if r["kind"] == "small_place"} == {"low"}
    assert not [r for r in rows if r["kind"] in ("exact_age", "exact_date")]
    manager = [r for r in rows if r["kind"] == "unique_role" and r["item_id"] == "P01-W1-DOC-01"]
    assert manager[0]["level"] == "high"  # administrative: still one person in P01
    assert "administrative" in manager[0]["detail"]


def test_generalised_replacements_stay_the_same_in_a_later_wave(generalised_run):
    workdir, wave3 = generalised_run["workdir"], generalised_run["wave3"]
    ledger = generalised_run["ledger"]
    assert ledger[: len(wave3["ledger"])] == wave3["ledger"]
    items = tree_digest(workdir / "results/shareable/items")
    assert {k: v for k, v in items.items() if k in wave3["items"]} == wave3["items"]
    later = (workdir / "results/shareable/items/P01/P01-W4-OBS-01.txt").read_text()
    assert "lives in [Town]." in later and "He is [Age 40-49] now" in later
    assert "review on March 2025" in later
    by_original = {}
    for row in ledger:
        by_original.setdefault(row["original"], set()).add(row["pseudonym"])
    assert by_original["Tottington"] == {"[Town]"}
    assert by_original["47 years old"] == {"[Age 40-49]"}
    assert by_original["14 March 2025"] == {"March 2025"}
