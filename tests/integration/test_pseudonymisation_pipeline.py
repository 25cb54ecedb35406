"""Pseudonyms across waves and kinds, reruns from the ledger, and the hardened leak check, on
temporary copies of the demo run."""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from pathlib import Path

import docx
import pandas as pd
import pytest

from tests.conftest import copy_run, shareable_digest, snakemake, tree_digest
from tests.integration.test_demo_pipeline import manifest_rows

pytestmark = pytest.mark.integration

STAFF = {"P01": ("Sarah Mitchell", "Helen Carter"), "P02": ("Peter Hughes", "Claire Bennett")}


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def register_people(workdir: Path) -> dict[str, set[str]]:
    """Full name -> every register string naming that person, with the name's own words."""
    people = {}
    for row in read_tsv(workdir / "demo/register.tsv"):
        if row["entity_type"] == "person":
            strings = {row["name"], *row["name"].split()}
            strings |= {a.strip() for a in row["aliases"].split(";") if a.strip()}
            people[row["name"]] = {s.casefold() for s in strings if len(s) > 2}
    return people


def test_staff_keep_one_pseudonym_across_waves_in_transcripts_and_documents(demo_run):
    rows = {r["item_id"]: r for r in manifest_rows(demo_run)}
    people = register_people(demo_run)
    logs = demo_run / "results/restricted/anonymisation-log"
    for practice, staff in STAFF.items():
        for name in staff:
            seen: dict[str, set[tuple[str, str]]] = {}
            for path in sorted((logs / practice).glob("*.tsv")):
                item = rows[path.stem]
                kind = "document" if item["kind"] in ("document", "observation") else "recording"
                for row in read_tsv(path):
                    original = re.sub(r"['’]s$", "", " ".join(row["original"].split())).casefold()
                    if original in people[name]:
                        seen.setdefault(row["replacement"], set()).add((item["wave"], kind))
            assert len(seen) == 1, (name, sorted(seen))
            ((pseudonym, where),) = seen.items()
            assert {w for w, _ in where} >= {"1", "2"}, (name, where)
            assert {k for _, k in where} == {"document", "recording"}, (name, where)
            for wave in ("1", "2"):
                text = "".join(
                    (demo_run / f"results/shareable/items/{practice}/{i}.txt").read_text()
                    for i, r in rows.items()
                    if r["practice"] == practice and r["wave"] == wave
                )
                assert pseudonym in text


def test_a_later_wave_never_changes_an_assigned_pseudonym(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    ledger_path = workdir / "results/restricted/ledger/P01.tsv"
    before_ledger = read_tsv(ledger_path)
    items = workdir / "results/shareable/items"
    before = tree_digest(items)
    new_file = workdir / "demo/fieldwork/P01/wave3/observation-2026-03-05.docx"
    new_file.parent.mkdir(parents=True)
    note = docx.Document()
    note.add_paragraph("Wave 3: Dr Mitchell and Helen ran the clinic with Dr Amara Okonkwo.")
    note.add_paragraph("Sarah said Dr Okonkwo now leads the recall; Nurse Carter agreed.")
    note.save(new_file)
    with open(workdir / "demo/manifest.tsv", "a", encoding="utf-8") as handle:
        handle.write(
            "P01-W3-OBS-01\tP01\t3\t2026-03-05\tobservation\tresearcher\t"
            "P01/wave3/observation-2026-03-05.docx\ten\tadded in a test\t\n"
        )
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    # Detection read the new item only; its practice's other items came from the cache, and
    # the other practice's detection did not run at all.
    detection_log = (workdir / "logs/detect_entities/P01.log").read_text()
    earlier = sum(1 for row in manifest_rows(demo_run) if row["practice"] == "P01")
    assert f"detection cache: 1 item(s) read, {earlier} taken from the cache" in detection_log
    assert re.findall(r"item (\S+): \d+ detections", detection_log) == ["P01-W3-OBS-01"]
    other = "logs/detect_entities/P02.log"
    assert (workdir / other).read_text() == (demo_run / other).read_text()
    after_ledger = read_tsv(ledger_path)
    assert after_ledger[: len(before_ledger)] == before_ledger
    assert len(after_ledger) > len(before_ledger)
    assert {k: v for k, v in tree_digest(items).items() if k in before} == before
    text = (items / "P01/P01-W3-OBS-01.txt").read_text()
    assert "Okonkwo" not in text and "Mitchell" not in text and "Carter" not in text
    gp = {r["pseudonym"] for r in before_ledger if r["original"] == "Dr Mitchell"}
    nurse = {r["pseudonym"] for r in before_ledger if r["original"] == "Nurse Carter"}
    assert gp == {"[GP 1]"} and nurse == {"[Nurse 1]"}
    assert text.count("[GP 1]") == 2 and text.count("[Nurse 1]") == 2
    new_person = re.findall(r"Dr (\[Person \d+\])|(\[Person \d+\]) now leads", text)
    assert len({p for pair in new_person for p in pair if p}) == 1, text


def test_deleting_shareable_and_rerunning_reproduces_identical_outputs(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    shareable = workdir / "results/shareable"
    before = shareable_digest(shareable)
    ledgers = tree_digest(workdir / "results/restricted/ledger")
    shutil.rmtree(shareable)
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert shareable_digest(shareable) == before
    assert tree_digest(workdir / "results/restricted/ledger") == ledgers


def test_the_run_fails_on_names_planted_in_containers_without_printing_them(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    shareable = workdir / "results/shareable"
    name = "Helen Carter"
    note = docx.Document()
    paragraph = note.add_paragraph("Coded memo: Helen ")
    paragraph.add_run("Car").bold = True
    paragraph.add_run("ter led the clinic.")
    note.save(shareable / "items/P01/P01-W1-OBS-01.docx")
    corpus = shareable / "corpus/P02/corpus.parquet"
    frame = pd.read_parquet(corpus)
    frame.loc[frame.index[-1], "text"] += " with peter hughes"
    frame.to_parquet(corpus)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", "<Project><User name='Sarah  Mitchell'/></Project>")
    (shareable / "qda").mkdir(exist_ok=True)
    (shareable / "qda/P01.qdpx").write_bytes(buffer.getvalue())
    (shareable / "items/P02/P02-W1-INT-01_claire_bennett.png").write_bytes(b"\x89PNG\r\n")
    result = snakemake(workdir, "--forcerun", "leak_check")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for planted in (
        "items/P01/P01-W1-OBS-01.docx (item P01-W1-OBS-01)",
        "corpus/P02/corpus.parquet (item -)",
        "qda/P01.qdpx (item -)",
        "items/[a file name holding the string] (item P02-W1-INT-01)",
    ):
        assert planted in output, planted
    lowered = output.lower()
    for secret in (name, "Peter Hughes", "Sarah Mitchell", "Claire Bennett"):
        assert secret.lower() not in lowered
    assert not re.search(r"carter|hughes|bennett|mitchell", lowered)
