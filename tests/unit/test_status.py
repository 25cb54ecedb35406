import base64
import os
import shutil
import time

import pytest
from fieldcorpus.cli.status import collect_status, status_table, status_tsv
from fieldcorpus.manifest import load_manifest
from fieldcorpus.pipeline.workspace import Workspace

from tests.conftest import DEMO, REPO


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(DEMO, tmp_path / "demo", ignore=shutil.ignore_patterns("reference"))
    shutil.copytree(REPO / "config", tmp_path / "config")
    return Workspace.load(tmp_path)


def touch(path, text="", age=0.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))


def test_status_counts_done_failed_running_waiting_and_reviews(workspace):
    manifest = load_manifest(workspace.manifest, workspace.fieldwork)
    p01_wave1 = [i for i in manifest.items.values() if i.practice == "P01" and i.wave == 1]
    done, failed, running = p01_wave1[0], p01_wave1[1], p01_wave1[2]
    for item in (done, failed):
        touch(workspace.shareable / "items" / "P01" / f"{item.item_id}.json", "{}", age=60)
    touch(
        workspace.logs / "extract_document" / "P01" / f"{failed.item_id}.log",
        f"INFO start\nfieldcorpus: item {failed.item_id}: "
        "PDF is encrypted: supply an unlocked copy\n",
    )
    touch(workspace.logs / "inventory_item" / "P01" / f"{done.item_id}.log", "INFO fine\n", age=120)
    marker = base64.urlsafe_b64encode(
        f"results/restricted/transcripts/P01/{running.item_id}.json".encode()
    ).decode()
    touch(workspace.root / ".snakemake" / "incomplete" / marker)
    touch(
        workspace.logs / "transcribe_recording" / "P01" / f"{running.item_id}.log",
        f"INFO item {running.item_id}: 12% of the audio done\n"
        f"INFO item {running.item_id}: 47% of the audio done\n",
    )
    touch(workspace.root / ".snakemake" / "locks" / "0.input.lock")
    touch(
        workspace.restricted / "review" / "P01.tsv",
        f"item_id\tunit_id\n{done.item_id}\tu1\n{done.item_id}\tu2\n",
    )
    touch(workspace.shareable / "leak-check.tsv", "file\titem_id\tresult\n")
    rows = {(r.practice, r.wave): r for r in collect_status(workspace, manifest)}
    wave = rows[("P01", 1)]
    assert (wave.items, wave.done, wave.failed, wave.running) == (len(p01_wave1), 1, 1, 1)
    assert wave.waiting == len(p01_wave1) - 3
    assert wave.review_open == 2 and wave.leak_check == "passed"
    assert wave.failures == [f"{failed.item_id}: PDF is encrypted: supply an unlocked copy"]
    assert wave.in_progress == [f"{running.item_id}: transcribing, 47% of the audio done"]
    assert rows[("P02", 2)].waiting == rows[("P02", 2)].items
    tsv = status_tsv(list(rows.values())).splitlines()
    assert tsv[0].split("\t")[:4] == ["practice", "wave", "items", "done"]
    plain = status_table(list(rows.values()), colour=False)
    assert "\033[" not in plain and "failed items:" in plain
    assert f"running now:\n  {running.item_id}: transcribing, 47% of the audio done" in plain
    assert "\033[31m" in status_table(list(rows.values()), colour=True)


def test_a_failed_leak_check_newer_than_its_report_is_shown(workspace):
    manifest = load_manifest(workspace.manifest, workspace.fieldwork)
    touch(workspace.shareable / "leak-check.tsv", "x", age=60)
    touch(workspace.logs / "leak_check.log", "fieldcorpus: leak check failed: ...\n")
    assert {r.leak_check for r in collect_status(workspace, manifest)} == {"FAILED"}


def test_the_gate_result_stands_beside_the_leak_check(workspace):
    """An item the residual-identifier gate withheld shows as WITHHELD in its wave even when
    the leak check passed; its hits count as open review entries."""
    from fieldcorpus.deid.residual import hits_to_tsv

    manifest = load_manifest(workspace.manifest, workspace.fieldwork)
    p02_wave1 = sorted(
        i.item_id for i in manifest.items.values() if (i.practice, i.wave) == ("P02", 1)
    )
    gate = workspace.restricted / "review" / "gate" / "P02"
    hit = {"item_id": p02_wave1[0], "unit_id": "u00002", "kind": "NHS number shape"}
    touch(gate / f"{p02_wave1[0]}.tsv", hits_to_tsv([hit]))
    for item_id in p02_wave1[1:]:
        touch(gate / f"{item_id}.tsv", hits_to_tsv([]))
    touch(workspace.shareable / "leak-check.tsv", "file\titem_id\tresult\n")
    rows = {(r.practice, r.wave): r for r in collect_status(workspace, manifest)}
    assert (rows[("P02", 1)].leak_check, rows[("P02", 1)].gate) == ("passed", "WITHHELD 1")
    assert rows[("P02", 1)].review_open == 1
    assert rows[("P01", 1)].gate == "not run"
    plain = status_table(list(rows.values()), colour=False)
    assert "leak check  gate" in plain.splitlines()[0]
    assert "passed      WITHHELD 1" in plain
    assert status_tsv(list(rows.values())).splitlines()[0].split("\t")[8:10] == [
        "leak_check",
        "gate",
    ]
    touch(gate / f"{p02_wave1[0]}.tsv", hits_to_tsv([]))
    assert rows_of(workspace, manifest)[("P02", 1)].gate == "passed"
    from fieldcorpus.deid.residual import tree_rows_to_tsv

    found = [{"file": "corpus/all/corpus.csv", "item_id": "-", "kinds": "phone shape"}]
    touch(gate.parent / "shareable-files.tsv", tree_rows_to_tsv(found))
    assert rows_of(workspace, manifest)[("P02", 1)].gate == "FAILED in 1 file(s)"


def rows_of(workspace, manifest):
    return {(r.practice, r.wave): r for r in collect_status(workspace, manifest)}


def test_risk_counts_and_k_anonymity_per_practice_and_wave(workspace):
    """High and medium rows of the risk report, and how many of the wave's metadata
    combinations fewer than k items hold, as the risk report's k_anonymity rows say."""
    from fieldcorpus.deid.risk import RISK_COLUMNS
    from fieldcorpus.files import tsv_text

    manifest = load_manifest(workspace.manifest, workspace.fieldwork)

    def row(item_id, wave, kind, level, detail="d"):
        return {"item_id": item_id, "unit_id": "", "wave": wave, "kind": kind, "level": level,
                "detail": detail}  # fmt: skip

    rows = [
        row("P01-W1-DOC-01", 1, "unique_role", "high"),
        row("P01-W1-DOC-01", 1, "k_anonymity", "high", "P01 × wave 1 × pm × document: 1"),
        row("P01-W1-INT-01", 1, "k_anonymity", "low", "P01 × wave 1 × gp × interview: 3"),
        row("P01-W1-INT-01", 1, "exact_date", "medium"),
        row("P01-W2-INT-01", 2, "occupation", "medium"),
        row("P01-W2-INT-01", 2, "small_place", "low"),
    ]
    touch(workspace.restricted / "risk" / "P01.tsv", tsv_text(rows, RISK_COLUMNS))
    status = {(r.practice, r.wave): r for r in collect_status(workspace, manifest)}
    wave1, wave2 = status[("P01", 1)], status[("P01", 2)]
    assert (wave1.risk_high, wave1.risk_medium, wave1.k_anonymity) == (2, 1, "1 of 2 below k")
    assert (wave2.risk_high, wave2.risk_medium, wave2.k_anonymity) == (0, 1, "0 of 0 below k")
    assert status[("P02", 1)].k_anonymity == "not run"
    plain = status_table(list(status.values()), colour=False)
    assert "2/1               1 of 2 below k" in plain
    assert "not run           not run" in plain
