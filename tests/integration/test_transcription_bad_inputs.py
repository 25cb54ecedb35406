"""Bad recordings fail alone, each naming its item id; with --keep-going the rest still finish."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import copy_run, snakemake
from tests.media import demo_speech, write_audio, write_wav

pytestmark = pytest.mark.integration

# item id -> (file name, documented outcome: a message naming the item, or None = transcript)
CASES = {
    "P03-W1-INT-01": ("Interview Jane Doe corrupt.mp3", "the recording cannot be opened (corrupt"),
    "P03-W1-INT-02": ("empty.wav", "the file is empty (0 bytes)"),
    "P03-W1-INT-03": ("silence.wav", None),
    "P03-W1-INT-04": ("notes-renamed.mp3", "listed as a recording (interview) but the file is"),
    "P03-W1-INT-05": ("screen-recording.mp4", "the file has no audio track"),
    "P03-W1-INT-06": ("video-interview.mp4", None),
}


def make_files(folder):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    corrupt = b"ID3\x03\x00\x00\x00\x00\x00\x00" + rng.integers(0, 256, 40000, np.uint8).tobytes()
    (folder / CASES["P03-W1-INT-01"][0]).write_bytes(corrupt)
    (folder / CASES["P03-W1-INT-02"][0]).write_bytes(b"")
    hiss = rng.normal(scale=1e-4, size=16000 * 20).astype(np.float32)
    write_wav(folder / CASES["P03-W1-INT-03"][0], hiss)
    (folder / CASES["P03-W1-INT-04"][0]).write_text("Interview notes, typed up.\n" * 40)
    speech = demo_speech(20)
    write_audio(folder / CASES["P03-W1-INT-05"][0], speech, "aac", video=True, audio=False)
    write_audio(folder / CASES["P03-W1-INT-06"][0], speech, "aac", video=True)


def test_bad_recordings_fail_by_item_and_the_others_finish(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    make_files(workdir / "demo/fieldwork/P03/wave1")
    with open(workdir / "demo/manifest.tsv", "a", encoding="utf-8") as handle:
        for item_id, (name, _) in CASES.items():
            handle.write(
                f"{item_id}\tP03\t1\t2025-04-01\tinterview\tnurse\tP03/wave1/{name}\ten\t\t\n"
            )
    folder = "results/restricted/transcripts/P03"  # targets relative to the working directory
    transcripts = workdir / folder
    targets = [f"{folder}/{item}.{ext}" for item in CASES for ext in ("json", "vtt")]
    result = snakemake(workdir, "--keep-going", *targets)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    # Snakemake itself echoes job inputs; the pipeline's own messages never name a file.
    messages = "\n".join(line for line in output.splitlines() if "fieldcorpus:" in line)
    for item_id, (name, outcome) in CASES.items():
        assert name not in messages
        if outcome:
            assert f"fieldcorpus: item {item_id}: {outcome}" in output, item_id
            assert not (transcripts / f"{item_id}.json").exists()
        else:
            assert (transcripts / f"{item_id}.vtt").is_file(), item_id
    silence = json.loads((transcripts / "P03-W1-INT-03.json").read_text())
    assert silence["units"] == [] and silence["flags"]["no_speech"] is True
    assert (transcripts / "P03-W1-INT-03.vtt").read_text().strip() == "WEBVTT"
    video = json.loads((transcripts / "P03-W1-INT-06.json").read_text())
    assert video["flags"]["no_speech"] is False
    assert "practice nurse" in " ".join(u["text"] for u in video["units"]).lower()
    assert "Jane" not in messages
