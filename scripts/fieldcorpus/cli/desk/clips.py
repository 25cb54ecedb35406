"""A recording's passage, decoded server-side from the restricted raw recording and served as a
WAV: the span's unit with PAD_S seconds either side. The raw file is found through its link in
restricted/raw/<practice>/, named by item id, so no raw file name is ever shown."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from fieldcorpus.deid.decisions import DecisionError
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.transcribe.decode import SAMPLE_RATE, decode_blocks

PAD_S = 2.0


def raw_link(restricted: Path, practice: str, item_id: str) -> Path | None:
    """The item's raw link (restricted/raw/<practice>/<item_id>.<ext>), matched by its id among
    the folder's names: nothing from a request is joined into a path."""
    folder = restricted / "raw" / practice
    if not folder.is_dir():
        return None
    return next((p for p in sorted(folder.iterdir()) if p.name.split(".", 1)[0] == item_id), None)


def clip_wav(restricted: Path, practice: str, item_id: str, start: float, end: float) -> bytes:
    """16-bit mono WAV of [start - PAD_S, end + PAD_S] of the item's raw recording."""
    link = raw_link(restricted, practice, item_id)
    unreadable = DecisionError(
        "unreadable",
        item_id,
        "the raw recording cannot be read (missing, moved or corrupt), so the passage cannot "
        "be played",
        "check the recording is in place under the fieldwork root and plays "
        "(fieldcorpus audit lists raw files changed or missing); decide from the text",
    )
    if link is None or not link.exists():
        raise unreadable
    first = max(0, int((start - PAD_S) * SAMPLE_RATE))
    last = int((end + PAD_S) * SAMPLE_RATE)
    pieces, seen = [], 0
    try:
        for block in decode_blocks(link, item_id):
            if seen + len(block) > first:
                pieces.append(block[max(0, first - seen) : max(0, last - seen)])
            seen += len(block)
            if seen >= last:
                break
    except FieldcorpusError as error:
        raise unreadable from error
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    if not len(samples):
        raise unreadable
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()
