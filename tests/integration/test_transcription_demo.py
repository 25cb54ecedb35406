"""Transcripts of the demo run against the recording scripts: WER, speaker turns, formats, logs.

Reuses the session's demo run (faster-whisper, the shipped config); nothing is transcribed here."""

from __future__ import annotations

import csv
import io
import json
import re
import stat
from pathlib import Path

import docx
import pytest
import webvtt
from fieldcorpus.formats import TRANSCRIPT_FORMATS, clock, turns
from fieldcorpus.transcribe.whisper_models import resolve_model

from tests.conftest import DEMO
from tests.support.evaluation import attribution_accuracy, word_error_rate

pytestmark = pytest.mark.integration


def recordings() -> list[dict]:
    with open(DEMO / "manifest.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [r for r in rows if r["kind"] in ("interview", "clinic_review")]


def reference(item_id: str) -> list[dict]:
    return json.loads((DEMO / "reference" / f"{item_id}.json").read_text())["turns"]


def transcript(run: Path, row: dict) -> dict:
    path = run / "results/restricted/transcripts" / row["practice"] / f"{row['item_id']}.json"
    return json.loads(path.read_text())


def test_every_demo_recording_has_wer_at_most_10_percent(demo_run):
    rates = {}
    for row in recordings():
        hypothesis = " ".join(u["text"] for u in transcript(demo_run, row)["units"])
        scripted = " ".join(t["text"] for t in reference(row["item_id"]))
        rates[row["item_id"]] = word_error_rate(scripted, hypothesis)
    assert len(rates) == 8
    assert max(rates.values()) <= 0.10, rates


def test_speaker_attribution_is_at_least_85_percent_of_speech_time(demo_run):
    results = {}
    for row in recordings():
        units = transcript(demo_run, row)["units"]
        results[row["item_id"]] = attribution_accuracy(reference(row["item_id"]), units)
        assert {u["speaker"] for u in units} == {"S1", "S2"}, row["item_id"]
        assert units[0]["speaker"] == "S1"  # S1 is the first voice heard
    assert all(accuracy >= 0.85 for accuracy, _ in results.values()), results
    assert all(coverage >= 0.7 for _, coverage in results.values()), results


def test_transcripts_name_engine_model_and_sha256(demo_run):
    shipped = resolve_model("bundled:base", demo_run / "models")
    for row in recordings():
        engine = transcript(demo_run, row)["engine"]
        assert engine["name"] == "faster-whisper"
        assert engine["model"] == {"id": "bundled:base", "sha256": shipped.sha256}
        assert engine["parameters"]["beam_size"] == 5
        assert engine["diarization"]["speakers_given"] == 2
        assert "asthma" in engine["parameters"]["initial_prompt"].lower()


def format_files(run: Path, zone: str, row: dict) -> dict[str, Path]:
    folder = "restricted/transcripts" if zone == "restricted" else "shareable/items"
    stem = run / "results" / folder / row["practice"] / row["item_id"]
    return {fmt: Path(f"{stem}.{fmt}") for fmt in ("json", *TRANSCRIPT_FORMATS)}


@pytest.mark.parametrize("zone", ["restricted", "shareable"])
def test_all_six_formats_parse_and_agree(demo_run, zone):
    for row in recordings():
        files = format_files(demo_run, zone, row)
        document = json.loads(files["json"].read_text())
        expected_turns = turns(document)
        assert expected_turns
        for path in files.values():
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o600 if zone == "restricted" else 0o644), path
        captions = list(webvtt.read(files["vtt"]))
        assert len(captions) == len(document["units"])
        assert all(c.voice in ("S1", "S2") for c in captions)
        starts = [c.start_in_seconds for c in captions]
        assert starts == sorted(starts)
        srt = files["srt"].read_text().strip().split("\n\n")
        assert [int(b.split("\n")[0]) for b in srt] == list(range(1, len(srt) + 1))
        times = [re.findall(r"\d\d:\d\d:\d\d,\d\d\d", b.split("\n")[1]) for b in srt]
        assert all(start <= end for start, end in times)
        assert [s for s, _ in times] == sorted(s for s, _ in times)
        paragraphs = docx.Document(io.BytesIO(files["docx"].read_bytes())).paragraphs
        assert len(paragraphs) == len(expected_turns)
        for paragraph, turn in zip(paragraphs, expected_turns, strict=True):
            assert paragraph.text.startswith(
                f"[{clock(turn.start, millis=False)}] {turn.speaker}: "
            )
        txt_lines = files["txt"].read_text().splitlines()
        assert len(txt_lines) == len(expected_turns)
        assert all(re.match(r"\[\d\d:\d\d:\d\d\] S[12]: ", line) for line in txt_lines)
        maxqda = files["maxqda.txt"].read_text().split("\n\n")
        assert len(maxqda) == len(expected_turns)
        assert all(re.fullmatch(r"S[12]:(\n\[\d\d:\d\d:\d\d\] - .+)+\n?", b) for b in maxqda)


def test_shareable_formats_hold_only_the_pseudonymised_text(demo_run):
    """Every caption of a shareable VTT is a unit of the shareable JSON, never restricted text."""
    changed = 0
    for row in recordings():
        shareable = format_files(demo_run, "shareable", row)
        restricted = format_files(demo_run, "restricted", row)
        units = [u["text"] for u in json.loads(shareable["json"].read_text())["units"]]
        vtt = shareable["vtt"].read_text()
        captions = [c.text for c in webvtt.from_string(vtt)]
        escaped = [t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for t in units]
        assert captions == escaped
        changed += vtt != restricted["vtt"].read_text()
    assert changed >= 4  # the demo recordings name people: pseudonyms differ from the originals


def test_transcription_logs_show_progress_but_no_transcript_text(demo_run):
    for row in recordings():
        log = (
            demo_run / "logs/transcribe_recording" / row["practice"] / f"{row['item_id']}.log"
        ).read_text()
        assert "% of the audio done" in log and "100% of the audio done" in log
        words = " ".join(t["text"] for t in reference(row["item_id"])).split()
        trigrams = {" ".join(words[i : i + 3]).lower() for i in range(len(words) - 2)}
        assert not [t for t in trigrams if t in log.lower()], row["item_id"]
