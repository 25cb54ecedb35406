"""A 60-minute recording (demo speech repeated) transcribes in bounded memory on tiny.en.

tiny.en greedy, not the shipped base with beam 5: memory is bounded by the decoding window, not
by the model, and base with beam 5 would take about 25 minutes of CI's two cores for this hour.

Peak RSS is measured in a fresh subprocess, so nothing this test process loaded counts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.support.media import synthetic_recording

pytestmark = pytest.mark.integration

PEAK_RSS_LIMIT_MB = 2048

MEASURE = """
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from fieldcorpus.transcribe.transcription import transcribe_recording
settings = {"model": "bundled:tiny.en", "beam_size": 1, "language": "en", "diarization": True}
result = transcribe_recording(sys.argv[2], "SYN-60", settings, 1, sys.argv[3], speakers=2)
units = result["units"]
print(json.dumps({
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "duration_s": result["source"]["duration_s"],
    "units": len(units),
    "last_end": units[-1]["end"] if units else 0,
    "speakers": sorted({u["speaker"] for u in units}),
    "words": sum(len(u["text"].split()) for u in units),
}))
"""


def peak_memory_run(path, models_dir) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(REPO / "scripts"), str(path), str(models_dir)],
        capture_output=True,
        text=True,
        timeout=3000,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sixty_minutes_transcribe_below_two_gigabytes(tmp_path):
    path = synthetic_recording(tmp_path / "sixty-minutes.wav", 60)
    facts = peak_memory_run(path, tmp_path / "models")
    assert facts["duration_s"] == pytest.approx(3600, abs=1)
    assert facts["peak_rss_mb"] < PEAK_RSS_LIMIT_MB, facts
    assert facts["last_end"] > 3500, facts  # the transcript reaches the end of the recording
    assert facts["words"] > 60 * 100, facts  # about 150 words a minute are spoken
    assert facts["speakers"] == ["S1", "S2"]
