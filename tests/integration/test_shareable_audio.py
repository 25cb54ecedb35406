"""Shareable audio on the demo: two recordings (one per practice) opted in on a copy of the
session's demo run, re-transcribed by the closed-loop check; and a mistimed span that fails it.

Only the opted-in items' audio jobs and what lists their files (.qdpx, lineage, crate, leak
check) rerun, so this costs three short re-transcriptions, not a second demo run."""

from __future__ import annotations

import csv
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile
from fieldcorpus.audio.redaction import practice_needles
from fieldcorpus.deid.ledger import Ledger
from fieldcorpus.manifest import load_register
from lxml import etree
from rocrate.rocrate import ROCrate

from tests.conftest import copy_run, shared_path, snakemake
from tests.support.refi_client import read_project

pytestmark = pytest.mark.integration

SHAREABLE = "results/shareable"
RESTRICTED = "results/restricted"
# Both WAV (PCM), so the copy must equal the raw samples outside the spans; the first one's raw
# file is called "Interview Sarah Mitchell.wav".
SHARED_ITEMS = {"P01-W1-INT-01": "P01", "P02-W2-INT-01": "P02"}
MISTIMED = ("P01-W2-INT-01", "P01")
ASTHMA_WORDS = (
    "asthma",
    "inhaler",
    "salbutamol",
    "preventer",
    "peak flow",
    "review",
    "technique",
    "action plan",
    "template",
    "clinic",
)
# A number said digit by digit is one long word: its bleep may last as long as the saying.
LONGEST_SPAN = {"[Phone]": 8.0, "[NHS number]": 8.0}
NS = {"q": "urn:QDA-XML:project:1.0"}


def audio_config(items) -> str:
    listed = ", ".join(f"{item}: redacted" for item in items)
    return f"audio={{share: none, items: {{{listed}}}}}"


@pytest.fixture(scope="module")
def audio_run(demo_run, tmp_path_factory) -> Path:
    workdir = copy_run(demo_run, tmp_path_factory.mktemp("audio") / "run")
    result = snakemake(workdir, "--config", audio_config(SHARED_ITEMS), offline=True)
    (workdir / "audio-terminal-output.txt").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        pytest.fail(f"audio run failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return workdir


def needles(workdir: Path, practice: str):
    ledger = Ledger.read(workdir / RESTRICTED / f"ledger/{practice}.tsv")
    return practice_needles(practice, ledger, load_register(workdir / "demo/register.tsv"))


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def text_of(path: Path) -> str:
    return " ".join(unit["text"] for unit in json.loads(path.read_text())["units"])


def test_only_opted_in_recordings_get_shareable_audio(audio_run, demo_run):
    assert not (demo_run / SHAREABLE / "audio").exists()
    found = sorted(
        p.relative_to(audio_run / SHAREABLE / "audio").as_posix()
        for p in (audio_run / SHAREABLE / "audio").rglob("*")
        if p.is_file()
    )
    assert found == sorted(f"{p}/{i}.flac" for i, p in SHARED_ITEMS.items())
    for item_id, practice in SHARED_ITEMS.items():
        mode = (audio_run / SHAREABLE / f"audio/{practice}/{item_id}.flac").stat().st_mode
        assert mode & 0o777 == 0o644
        restricted = audio_run / RESTRICTED / f"audio/{practice}/{item_id}.flac"
        assert restricted.stat().st_mode & 0o777 == 0o600


def test_each_copy_heard_again_names_nobody_yet_keeps_the_asthma_talk(audio_run):
    for item_id, practice in SHARED_ITEMS.items():
        pattern = needles(audio_run, practice)
        original = text_of(audio_run / RESTRICTED / f"transcripts/{practice}/{item_id}.json")
        assert pattern.search(original), f"{item_id}: the original names nobody: a weak test"
        heard = text_of(audio_run / RESTRICTED / f"audio/{practice}/{item_id}.check.json")
        assert pattern.search(heard) is None, f"{item_id}: a name is heard in the redacted copy"
        said = [word for word in ASTHMA_WORDS if word in original.lower()]
        kept = [word for word in said if word in heard.lower()]
        # A bleep may clip the word beside it ('temp-' for template): most, not all, survive.
        assert len(kept) >= max(3, 0.6 * len(said)), f"{item_id}: only {kept} of {said} survived"
        log = read_tsv(audio_run / RESTRICTED / f"redaction-log/{practice}/{item_id}.tsv")
        assert log and {row["check"] for row in log} == {"pass"}
        assert {row["timing"] for row in log} == {"word"}
        assert all(row["reason"].startswith("[") for row in log)


def test_outside_the_spans_the_copy_equals_the_original_sample_for_sample(audio_run):
    manifest = {r["item_id"]: r for r in read_tsv(audio_run / "demo/manifest.tsv")}
    for item_id, practice in SHARED_ITEMS.items():
        raw = audio_run / "demo/fieldwork" / manifest[item_id]["path"]
        original, rate = soundfile.read(raw, dtype="int16", always_2d=True)
        copy, copy_rate = soundfile.read(
            audio_run / SHAREABLE / f"audio/{practice}/{item_id}.flac",
            dtype="int16",
            always_2d=True,
        )
        assert copy_rate == rate and copy.shape == original.shape
        spans = read_tsv(audio_run / RESTRICTED / f"audio/{practice}/{item_id}.spans.tsv")
        inside = np.zeros(len(copy), dtype=bool)
        for span in spans:
            start = float(span["start"])
            longest = LONGEST_SPAN.get(span["reason"], 5.0)
            assert float(span["end"]) - start < longest, "a span far longer than what it hides"
            inside[int(np.floor(start * rate)) : int(np.ceil(float(span["end"]) * rate))] = True
        assert inside.any() and inside.mean() < 0.3
        assert np.array_equal(copy[~inside], original[~inside])
        assert not np.array_equal(copy[inside], original[inside])


def test_the_qdpx_plays_the_redacted_audio_in_sync_and_validates(audio_run):
    schema = etree.XMLSchema(etree.parse(str(shared_path("refi-qda", "Project.xsd"))))
    for item_id, practice in SHARED_ITEMS.items():
        archive = zipfile.ZipFile(audio_run / SHAREABLE / f"qda/{practice}.qdpx")
        root = etree.fromstring(archive.read("project.qde"))
        schema.assertValid(root)
        (source,) = [a for a in root.iterfind(".//q:AudioSource", NS)]
        assert source.get("name") == item_id
        packed = archive.read("sources/" + source.get("path").removeprefix("internal://"))
        shared = (audio_run / SHAREABLE / f"audio/{practice}/{item_id}.flac").read_bytes()
        assert packed == shared
        units = json.loads(
            (audio_run / SHAREABLE / f"items/{practice}/{item_id}.json").read_text()
        )["units"]
        starts = [float(u["start"]) * 1000 for u in units]
        sync = [
            (int(p.get("position")), int(p.get("timeStamp")))
            for p in source.iterfind(".//q:SyncPoint", NS)
        ]
        assert len(sync) >= 3
        transcript = source.find("q:Transcript", NS).get("plainTextPath")
        text = archive.read("sources/" + transcript.removeprefix("internal://")).decode()
        # One SyncPoint per speech turn, at its "[hh:mm:ss]", within 100 ms of a unit's start;
        # the last at the end of the last turn, within 100 ms of the last unit's end.
        for position, millis in sync[:-1]:
            assert min(abs(millis - start) for start in starts) <= 100
            seconds = millis // 1000
            assert text[position:].startswith(f"[{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:")
        assert abs(sync[-1][1] - float(units[-1]["end"]) * 1000) <= 100
        assert sync[0][1] <= 100 + starts[0]


def test_a_client_reads_the_audio_and_every_other_source_dated_with_their_variables(audio_run):
    rows = {r["item_id"]: r for r in read_tsv(audio_run / "demo/manifest.tsv")}
    for item_id, practice in SHARED_ITEMS.items():
        client = read_project((audio_run / SHAREABLE / f"qda/{practice}.qdpx").read_bytes())
        assert client.source_variables == {"practice", "wave", "collected_on", "kind", "role"}
        assert client.case_variables == {"case_practice"}
        assert client.cases[practice]["variables"] == {"case_practice": practice}
        assert item_id in client.cases[practice]["members"]
        assert [s.name for s in client.sources.values() if s.element == "AudioSource"] == [item_id]
        for name, source in client.sources.items():
            row = rows[name]
            assert source.variables["practice"] == practice
            assert source.variables["wave"] == int(row["wave"])
            assert source.variables["collected_on"].isoformat() == row["collected_on"]
            assert source.stamped.created.date().isoformat() == row["collected_on"]
        audio = client.sources[item_id]
        assert audio.transcript.created == audio.stamped.created
        # Every SyncPoint lies inside the redacted recording the client plays.
        assert audio.media_ms > 0 and len(audio.sync) >= 3
        assert all(0 <= ms <= audio.media_ms for _, ms in audio.sync)
        assert [ms for _, ms in audio.sync] == sorted(ms for _, ms in audio.sync)
        assert [p for p, _ in audio.sync] == sorted(p for p, _ in audio.sync)
        assert all(p <= len(audio.text) for p, _ in audio.sync)


def test_lineage_crate_and_leak_check_list_the_audio(audio_run):
    leak = {row["file"]: row for row in read_tsv(audio_run / SHAREABLE / "leak-check.tsv")}
    crate = ROCrate(audio_run / SHAREABLE)
    listed = {entity.id for entity in crate.data_entities}
    for item_id, practice in SHARED_ITEMS.items():
        relative = f"audio/{practice}/{item_id}.flac"
        assert leak[relative]["result"] == "clean" and leak[relative]["item_id"] == item_id
        assert relative in listed
        lineage = json.loads((audio_run / SHAREABLE / f"provenance/{item_id}.json").read_text())
        assert relative in lineage["shareable_outputs"]
        assert lineage["config"]["audio"]["padding_ms"] == 150


def test_a_mistimed_span_fails_the_item_and_nothing_is_shared(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    item_id, practice = MISTIMED
    transcript = workdir / RESTRICTED / f"transcripts/{practice}/{item_id}.json"
    document = json.loads(transcript.read_text())
    for unit in document["units"]:
        for word in unit["words"]:
            word["start"], word["end"] = word["start"] + 4.0, word["end"] + 4.0
    times = transcript.stat()
    transcript.write_text(json.dumps(document))
    # Same modification time: only the audio jobs see the shifted words, nothing upstream reruns.
    os.utime(transcript, ns=(times.st_atime_ns, times.st_mtime_ns))
    target = f"{SHAREABLE}/audio/{practice}/{item_id}.flac"
    result = snakemake(workdir, target, "--config", audio_config([item_id]), offline=True)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"item {item_id}: closed-loop check failed" in output
    assert not (workdir / target).exists()
    assert not list((workdir / SHAREABLE).glob("audio/**/*.flac"))
    assert (workdir / RESTRICTED / f"audio/{practice}/{item_id}.flac").exists()
    log = read_tsv(workdir / RESTRICTED / f"redaction-log/{practice}/{item_id}.tsv")
    assert log and all(row["check"].startswith("fail: a name heard") for row in log)
    rule_log = (workdir / f"logs/publish_redacted_audio/{practice}/{item_id}.log").read_text()
    for text in (output, rule_log):
        assert needles(workdir, practice).search(text) is None, "the error names a name"
