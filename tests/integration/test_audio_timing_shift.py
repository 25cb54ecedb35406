"""Word timings that do not fit the audio, on one demo interview opted in to shareable audio:
shifted 1 s late, the closed-loop check hears the names and repairs the bleeps; 4 s late, the
repair cannot reach them and the item is withheld with a clear message. Each on its own copy of
the session's demo run (a module of its own, so that it runs beside the hearing test)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fieldcorpus.transcribe.transcription import transcribe_recording

from tests.conftest import copy_run, snakemake
from tests.integration.test_shareable_audio import (
    HARD_EARS,
    RESTRICTED,
    SHAREABLE,
    needles,
    read_tsv,
    recorded_hearing,
    transcription_config,
)

pytestmark = pytest.mark.integration

SHIFTED = ("P01-W2-INT-01", "P01")
CHECK_EAR = HARD_EARS.index({"model": "bundled:tiny.en", "beam_size": 5, "vad_filter": False})


def audio_config(items) -> str:
    listed = ", ".join(f"{item}: redacted" for item in items)
    return f"audio={{share: none, items: {{{listed}}}}}"


def run_with_shifted_timings(demo_run, tmp_path: Path, seconds: float):
    """The shifted item's restricted transcript (the redact rule's input) with every word
    timing moved `seconds` later, then the real audio rules on it."""
    workdir = copy_run(demo_run, tmp_path / "run")
    item_id, practice = SHIFTED
    transcript = workdir / RESTRICTED / f"transcripts/{practice}/{item_id}.json"
    document = json.loads(transcript.read_text())
    for unit in document["units"]:
        for word in unit["words"]:
            word["start"], word["end"] = word["start"] + seconds, word["end"] + seconds
    times = transcript.stat()
    transcript.write_text(json.dumps(document))
    # Same modification time: only the audio jobs see the shifted words, nothing upstream reruns.
    os.utime(transcript, ns=(times.st_atime_ns, times.st_mtime_ns))
    target = f"{SHAREABLE}/audio/{practice}/{item_id}.flac"
    result = snakemake(workdir, target, "--config", audio_config([item_id]), offline=True)
    log = read_tsv(workdir / RESTRICTED / f"redaction-log/{practice}/{item_id}.tsv")
    return workdir, workdir / target, result.returncode, result.stdout + result.stderr, log


def test_word_timings_one_second_late_are_repaired_and_published(demo_run, tmp_path):
    workdir, copy, returncode, output, log = run_with_shifted_timings(demo_run, tmp_path, 1.0)
    assert returncode == 0, output[-4000:]
    rounds = {int(row["round"]) for row in log if row["record"] == "ear"}
    assert max(rounds) >= 1, "no repair round: the shift did not make a name audible"
    assert any(int(row["round"]) >= 1 for row in log if row["record"] == "span")
    item_id, practice = SHIFTED
    pattern = needles(workdir, practice)
    config = transcription_config(workdir)
    # tiny.en with beam 5 and no VAD is the check's own second ear: what it heard in these very
    # bytes is on record (test_shareable_audio proves such records against a fresh decode).
    recorded = recorded_hearing(workdir, item_id, practice)
    assert CHECK_EAR in recorded, "the check's record does not say what it heard in the copy"
    heard = {"bundled:tiny.en beam 5": recorded[CHECK_EAR]}
    ear = {"model": "bundled:base", "beam_size": 5, "vad_filter": False}
    settings = {**config, **ear, "diarization": False, "language": "en"}
    units = transcribe_recording(copy, item_id, settings)["units"]
    heard["bundled:base beam 5"] = " ".join(u["text"] for u in units)
    for ear, text in heard.items():
        assert pattern.search(text) is None, f"{ear}: a name is heard in the repaired copy"


def test_word_timings_four_seconds_late_withhold_the_item_with_a_clear_message(demo_run, tmp_path):
    workdir, copy, returncode, output, log = run_with_shifted_timings(demo_run, tmp_path, 4.0)
    item_id, practice = SHIFTED
    assert returncode != 0
    assert f"item {item_id}: closed-loop check failed" in output
    assert f"audio.items: {{{item_id}: none}}" in output and "register" in output
    assert not copy.exists()
    assert not list((workdir / SHAREABLE).glob("audio/**/*.flac"))
    assert (workdir / RESTRICTED / f"audio/{practice}/{item_id}.flac").exists()
    assert log and all(
        row["check"].startswith("fail: a name heard") for row in log if row["record"] == "span"
    )
    rule_log = (workdir / f"logs/publish_redacted_audio/{practice}/{item_id}.log").read_text()
    for text in (output, rule_log):
        assert needles(workdir, practice).search(text) is None, "the error names a name"
