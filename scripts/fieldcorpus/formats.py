"""Transcript formats for qualitative analysis software, all rendered from speech units.

Restricted copies come from the restricted transcript; shareable copies only ever from the
pseudonymised JSON, so they cannot contain more than it does."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

# Output name suffix -> what it is. `txt` is the `[hh:mm:ss] S1:` turn text (units.render_text).
TRANSCRIPT_FORMATS = ("txt", "vtt", "srt", "docx", "maxqda.txt")


def output_key(fmt: str) -> str:
    """Snakemake output name of a format (names cannot contain dots)."""
    return fmt.replace(".", "_")


def format_of(key: str) -> str:
    return {output_key(fmt): fmt for fmt in TRANSCRIPT_FORMATS}[key]


@dataclass(frozen=True)
class PauseMarks:
    """noScribe-style pause marks between units: '(..)' for short pauses, then in words."""

    enabled: bool = False
    min_seconds: float = 1.0
    in_words_from: float = 4.0

    @classmethod
    def from_settings(cls, settings: dict | None) -> PauseMarks:
        settings = settings or {}
        return cls(
            enabled=bool(settings.get("pause_marks", False)),
            min_seconds=float(settings.get("pause_min_seconds", 1.0)),
        )

    def mark(self, gap: float) -> str:
        if not self.enabled or gap < self.min_seconds:
            return ""
        if gap < self.in_words_from:
            return "(" + "." * max(1, round(gap)) + ")"
        return f"({round(gap)} seconds pause)"


def clock(seconds: float | None, separator: str = ".", millis: bool = True) -> str:
    """hh:mm:ss.mmm (VTT), hh:mm:ss,mmm (SRT) or hh:mm:ss."""
    total_ms = max(0, round((seconds or 0) * 1000))
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, ms = divmod(rest, 1000)
    text = f"{hours:02d}:{minutes:02d}:{whole:02d}"
    return f"{text}{separator}{ms:03d}" if millis else text


def speech_units(document: dict) -> list[dict]:
    """Units with times, in time order (documents without speech have none)."""
    units = [u for u in document.get("units", []) if "start" in u and u.get("text")]
    return sorted(units, key=lambda u: (u["start"] or 0, u.get("end") or 0))


@dataclass
class Turn:
    speaker: str | None
    start: float
    end: float
    parts: list[tuple[float, str]]  # (start, text with any pause mark before it)

    @property
    def text(self) -> str:
        return " ".join(text for _, text in self.parts)


def turns(document: dict, pauses: PauseMarks | None = None) -> list[Turn]:
    """Consecutive units of one speaker joined into a turn; pause marks between units."""
    pauses = pauses or PauseMarks()
    result: list[Turn] = []
    previous_end: float | None = None
    for unit in speech_units(document):
        start, end = float(unit["start"] or 0), float(unit.get("end") or unit["start"] or 0)
        mark = pauses.mark(start - previous_end) if previous_end is not None else ""
        previous_end = max(end, previous_end or 0)
        speaker = unit.get("speaker")
        if result and result[-1].speaker == speaker:
            if mark:
                result[-1].parts.append((start, mark))
            result[-1].parts.append((start, unit["text"]))
            result[-1].end = max(result[-1].end, end)
            continue
        if mark and result:
            result[-1].parts.append((result[-1].end, mark))
        result.append(Turn(speaker, start, end, [(start, unit["text"])]))
    return result


def _label(speaker: str | None) -> str:
    return f"{speaker}: " if speaker else ""


def render_turn_text(document: dict, pauses: PauseMarks | None = None) -> str:
    """`[hh:mm:ss] S1: text`, one line per turn."""
    lines = [
        f"[{clock(t.start, millis=False)}] {_label(t.speaker)}{t.text}"
        for t in turns(document, pauses)
    ]
    return "\n".join(lines) + "\n"


def render_maxqda(document: dict, pauses: PauseMarks | None = None) -> str:
    """MAXQDA-style: a speaker line, then `[hh:mm:ss] - text` per segment; blank line between."""
    blocks = []
    for turn in turns(document, pauses):
        lines = [f"{turn.speaker or 'Speaker'}:"]
        for start, text in turn.parts:
            if text.startswith("(") and lines[-1].startswith("["):
                lines[-1] += f" {text}"
            else:
                lines.append(f"[{clock(start, millis=False)}] - {text}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _cue_times(units: list[dict]) -> list[tuple[float, float]]:
    """Non-decreasing cue times with end >= start (players reject anything else)."""
    times, previous_start = [], 0.0
    for unit in units:
        start = max(float(unit["start"] or 0), previous_start)
        end = max(float(unit.get("end") or start), start)
        times.append((start, end))
        previous_start = start
    return times


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(document: dict) -> str:
    """WebVTT with `<v S1>` voice tags, one cue per unit."""
    units = speech_units(document)
    cues = ["WEBVTT", ""]
    for unit, (start, end) in zip(units, _cue_times(units), strict=True):
        speaker = unit.get("speaker")
        voice = f"<v {_vtt_escape(speaker)}>" if speaker else ""
        cues += [f"{clock(start)} --> {clock(end)}", voice + _vtt_escape(unit["text"]), ""]
    return "\n".join(cues)


def render_srt(document: dict) -> str:
    """SubRip: numbered cues from 1, `S1: text`."""
    units = speech_units(document)
    cues = []
    for index, (unit, (start, end)) in enumerate(
        zip(units, _cue_times(units), strict=True), start=1
    ):
        cues.append(
            f"{index}\n{clock(start, ',')} --> {clock(end, ',')}\n"
            f"{_label(unit.get('speaker'))}{unit['text']}\n"
        )
    return "\n".join(cues)


def render_docx(document: dict, pauses: PauseMarks | None = None) -> bytes:
    """One paragraph per turn starting with its timestamp (NVivo's synchronised transcript)."""
    import docx

    out = docx.Document()
    # python-docx stamps the current time; fixed properties keep reruns byte-stable.
    properties = out.core_properties
    properties.author = properties.last_modified_by = "fieldcorpus"
    properties.title = document.get("item", {}).get("item_id", "")
    properties.comments = properties.keywords = properties.subject = ""
    properties.revision = 1
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    properties.created = properties.modified = properties.last_printed = epoch
    for turn in turns(document, pauses):
        paragraph = out.add_paragraph()
        paragraph.add_run(f"[{clock(turn.start, millis=False)}] ")
        if turn.speaker:
            paragraph.add_run(f"{turn.speaker}: ").bold = True
        paragraph.add_run(turn.text)
    buffer = io.BytesIO()
    out.save(buffer)
    return _zip_without_times(buffer.getvalue())


def _zip_without_times(data: bytes) -> bytes:
    """The same archive with every member dated 1980-01-01, so identical content is identical
    bytes (python-docx stamps members with the current time)."""
    rewritten = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, source.read(info))
    return rewritten.getvalue()


def render(document: dict, fmt: str, pauses: PauseMarks | None = None) -> bytes:
    """One format's bytes; `fmt` is one of TRANSCRIPT_FORMATS or json."""
    from fieldcorpus.files import dump_json

    if fmt == "json":
        return dump_json(document).encode("utf-8")
    if fmt == "docx":
        return render_docx(document, pauses)
    text = {
        "txt": lambda: render_turn_text(document, pauses),
        "vtt": lambda: render_vtt(document),
        "srt": lambda: render_srt(document),
        "maxqda.txt": lambda: render_maxqda(document, pauses),
    }[fmt]()
    return text.encode("utf-8")
