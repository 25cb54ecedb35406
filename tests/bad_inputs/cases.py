"""Every bad input the pipeline must meet with a clear message, in one table.

The table drives the tests (`test_bad_files.py`, `test_bad_manifest.py`) and the check that the
README's troubleshooting table documents every message (`test_troubleshooting_table.py`).

A message is written as the README shows it: `ID` stands for the item id and `N`, `M` for row
numbers; `message_pattern` turns it into the regular expression a test searches for. Raw file
names hold people's names on purpose: none may ever appear in what the pipeline prints or logs.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.support import document_makers as make
from tests.support.media import demo_speech, write_audio, write_wav

PRACTICE = "P03"
FOLDER = f"{PRACTICE}/wave1"


@dataclass(frozen=True)
class FileCase:
    """One raw file listed in the manifest. A failing case's job exits with `message` on the
    terminal; a case that finishes writes its output, `message` (if any) in the job's log,
    and `outcome` says what the README promises about the output."""

    case: str
    item_id: str
    kind: str
    name: str
    make: Callable[[Path], object]
    message: str | None
    fails: bool = True
    outcome: str | None = None

    @property
    def is_recording(self) -> bool:
        return self.kind == "interview"


@dataclass(frozen=True)
class ManifestRowCase:
    """One bad manifest row appended to the demo manifest; all fail the same run, before any
    job, each reported on its own line. `path` may name `{outside}` (a folder beside the
    fieldwork root) and `{root}` (the working directory, for an absolute path)."""

    case: str
    item_id: str
    message: str
    practice: str = PRACTICE
    collected_on: str = "2025-04-01"
    kind: str = "document"
    role: str = "practice_manager"
    path: str = "P01/wave1/asthma-review-template.pdf"
    secret: str | None = None  # a name in the row that must not be echoed


@dataclass(frozen=True)
class ManifestFileCase:
    """A whole manifest file changed by `transform`; `message` None means it is accepted."""

    case: str
    transform: Callable[[bytes], bytes]
    message: str | None
    outcome: str | None = None


def message_pattern(message: str, item_id: str | None = None, row: int | None = None) -> str:
    pattern = re.escape(message)
    if item_id is not None:
        pattern = re.sub(r"\bID\b", re.escape(item_id), pattern)
    pattern = re.sub(r"\bN\b", str(row) if row is not None else r"\\d+", pattern)
    return re.sub(r"\bM\b", r"\\d+", pattern)


# --- file makers (every file is made by the tests; nothing binary is committed) ---------------


def corrupt_audio(path: Path) -> None:
    noise = np.random.default_rng(3).integers(0, 256, 40000, np.uint8).tobytes()
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + noise)


def zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


def silence(path: Path) -> None:
    hiss = np.random.default_rng(3).normal(scale=1e-4, size=16000 * 10).astype(np.float32)
    write_wav(path, hiss)


def truncated_mp3(path: Path) -> None:
    whole = write_audio(path.with_name("whole.tmp.mp3"), demo_speech(20), "mp3")
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    whole.unlink()


def text_file(path: Path) -> None:
    path.write_text("Interview notes, typed up.\n" * 40, encoding="utf-8")


def video_without_audio(path: Path) -> None:
    write_audio(path, demo_speech(5), "aac", video=True, audio=False)


def video_interview(path: Path) -> None:
    write_audio(path, demo_speech(20), "aac", video=True)


def speech_wav(path: Path) -> None:
    write_wav(path, demo_speech(5))


def good_pdf(path: Path) -> None:
    make.pdf_document(path, [["Asthma reviews happen in the birth month."]])


def good_docx(path: Path) -> None:
    make.docx_document(path)


def encrypted_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("Helvetica")
    pdf.cell(0, 10, "Minutes of the practice meeting.")
    pdf.output(str(path))


def truncated_pdf(path: Path) -> None:
    good_pdf(path)
    path.write_bytes(path.read_bytes()[:300])


def corrupt_docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<not-closed")


def zip_archive(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photos/readme.txt", "not a document")


WINDOWS_TEXT = "Café notes – the asthma clinic runs on Tuesdays.\n"


def windows_1252_text(path: Path) -> None:
    path.write_bytes(WINDOWS_TEXT.encode("cp1252"))


UNSUPPORTED_NOTE = "PDF, DOCX, ODT, RTF, TXT, Markdown, CSV, XLSX, EML, MSG, JPEG, PNG or TIFF"

FILE_CASES = [
    FileCase(
        "corrupt audio",
        "P03-W1-INT-01",
        "interview",
        "Interview Jane Doe.mp3",
        corrupt_audio,
        "item ID: the recording cannot be opened (corrupt or truncated): "
        "check the file plays, or re-export it and update the manifest",
    ),
    FileCase(
        "zero-byte recording",
        "P03-W1-INT-02",
        "interview",
        "Interview Amir Khan.wav",
        zero_bytes,
        "item ID: the file is empty (0 bytes): copy the file again from the source",
    ),
    FileCase(
        "silence only",
        "P03-W1-INT-03",
        "interview",
        "Interview Priya Shah.wav",
        silence,
        "item ID: no speech found; the transcript is empty",
        fails=False,
        outcome="an empty transcript with `flags.no_speech: true`",
    ),
    FileCase(
        "MP3 cut short",
        "P03-W1-INT-04",
        "interview",
        "Interview Tom Baker.mp3",
        truncated_mp3,
        "item ID: the recording ends early (N s of the M s its header gives): the transcript "
        "covers what decodes; supply the complete file and rerun for the rest",
        fails=False,
        outcome="a transcript of the part that decodes, with `flags.truncated: true`",
    ),
    FileCase(
        "text file renamed .wav",
        "P03-W1-INT-05",
        "interview",
        "Interview Grace Hill.wav",
        text_file,
        "item ID: listed as a recording (interview) but the file is text/plain: "
        "correct the manifest kind, or point the row at the recording",
    ),
    FileCase(
        "video without an audio track",
        "P03-W1-INT-06",
        "interview",
        "Screen recording Leo Ward.mp4",
        video_without_audio,
        "item ID: the file has no audio track: supply a file with audio",
    ),
    FileCase(
        "PDF listed as interview",
        "P03-W1-INT-07",
        "interview",
        "Interview Nina Patel.pdf",
        good_pdf,
        "item ID: listed as a recording (interview) but the file is application/pdf: "
        "correct the manifest kind, or point the row at the recording",
    ),
    FileCase(
        "recording listed as document",
        "P03-W1-DOC-01",
        "document",
        "Meeting Omar Reid.wav",
        speech_wav,
        "item ID: listed as document but the file is a recording (audio/wav): "
        "correct the manifest kind (interview, clinic_review, workshop or meeting)",
    ),
    FileCase(
        "password-protected PDF",
        "P03-W1-DOC-02",
        "document",
        "Minutes Sarah Mitchell.pdf",
        encrypted_pdf,
        "item ID: PDF is encrypted: supply an unlocked copy and update the manifest",
    ),
    FileCase(
        "corrupt PDF",
        "P03-W1-DOC-03",
        "document",
        "Letter Ruth Evans.pdf",
        truncated_pdf,
        "item ID: PDF cannot be read (corrupt or truncated): supply a readable copy",
    ),
    FileCase(
        "corrupt DOCX",
        "P03-W1-DOC-04",
        "document",
        "Notes Carl Young.docx",
        corrupt_docx,
        "item ID: DOCX cannot be read (corrupt or not a Word file): supply a readable copy",
    ),
    FileCase(
        "zero-byte document",
        "P03-W1-DOC-05",
        "document",
        "Notes Ivy Lam.txt",
        zero_bytes,
        "item ID: the file is empty (0 bytes): copy the file again from the source",
    ),
    FileCase(
        "unsupported file (zip)",
        "P03-W1-DOC-06",
        "document",
        "Photos Ben Cole.zip",
        zip_archive,
        "item ID: unsupported document type (application/zip): "
        f"convert it to {UNSUPPORTED_NOTE}, or correct the manifest kind",
    ),
    FileCase(
        "extension that lies (a PDF named .docx)",
        "P03-W1-DOC-07",
        "document",
        "Protocol Ada Moss.docx",
        good_pdf,
        "item ID: the file's extension (.docx) does not match its content (PDF): "
        "rename the file to match its content, or point the manifest row at the right file",
    ),
    FileCase(
        "non-UTF-8 text",
        "P03-W1-DOC-08",
        "document",
        "Notes Eve Dunn.txt",
        windows_1252_text,
        None,
        fails=False,
        outcome="read as Windows-1252; `source.encoding: cp1252` in the document text",
    ),
]

# Good items in the same run: they must finish whatever their neighbours do.
GOOD_FILES = [
    FileCase(
        "good video interview",
        "P03-W1-INT-90",
        "interview",
        "video.mp4",
        video_interview,
        None,
        fails=False,
    ),  # fmt: skip
    FileCase("good PDF", "P03-W1-DOC-90", "document", "protocol.pdf", good_pdf, None, fails=False),
    FileCase("good DOCX", "P03-W1-DOC-91", "document", "notes.docx", good_docx, None, fails=False),
]

MANIFEST_ROW_CASES = [
    ManifestRowCase(
        "duplicate item id",
        "P01-W1-DOC-01",
        "row N (item ID), column item_id: duplicates the id on row M; ids must be unique",
    ),
    ManifestRowCase(
        "missing file",
        "P03-W1-MAN-01",
        "row N (item ID), column path: no file at this path under the fieldwork root; "
        "correct the path or copy the file",
        path=f"{FOLDER}/Interview Jane Doe.wav",
        secret="Jane Doe",
    ),
    ManifestRowCase(
        "`../` in the path",
        "P03-W1-MAN-02",
        "row N (item ID), column path: contains '..'; give a path inside the fieldwork root",
        path="../outside/Interview Amir Khan.wav",
        secret="Amir Khan",
    ),
    ManifestRowCase(
        "absolute path",
        "P03-W1-MAN-03",
        "row N (item ID), column path: is absolute; give it relative to the fieldwork root",
        path="{outside}/Interview Priya Shah.wav",
        secret="Priya Shah",
    ),
    ManifestRowCase(
        "link pointing outside the fieldwork root",
        "P03-W1-MAN-04",
        "row N (item ID), column path: resolves (through a link) outside the fieldwork root; "
        "copy the file in instead",
        path=f"{FOLDER}/Interview Tom Baker.wav",  # the test makes it a link to {outside}
        secret="Tom Baker",
    ),
    ManifestRowCase(
        "bad date",
        "P03-W1-MAN-05",
        "row N (item ID), column collected_on: not a valid ISO date (YYYY-MM-DD)",
        collected_on="2025-02-30",
    ),
    ManifestRowCase(
        "unknown kind",
        "P03-W1-MAN-06",
        "row N (item ID), column kind: 'podcast' is not one of: interview, clinic_review, "
        "observation, document, workshop, meeting",
        kind="podcast",
    ),
    ManifestRowCase(
        "unknown role",
        "P03-W1-MAN-07",
        "row N (item ID), column role: 'doctor' is not one of: gp, nurse, practice_manager, "
        "receptionist, pharmacist, patient, facilitator, researcher, other",
        role="doctor",
    ),
    ManifestRowCase(
        "practice name instead of a code",
        "P03-W1-MAN-08",
        "row N (item ID), column practice: must be a pseudonymous code such as P01, "
        "never a practice name",
        practice="Willowbank Surgery",
        secret="Willowbank",
    ),
    ManifestRowCase(
        "a name in the item id",
        "Jane Doe interview",
        "row N, column item_id: has the wrong format (^[A-Za-z0-9_-]+$)",
        secret="Jane Doe",
    ),
]


def _with_blank_lines(data: bytes) -> bytes:
    lines = data.split(b"\n")
    return b"\n\n".join(lines[:3]) + b"\n\n  \n" + b"\n".join(lines[3:]) + b"\n\n"


def _not_utf8(data: bytes) -> bytes:
    return data.replace(b"Baseline staff interview", "Café interview".encode("cp1252"), 1)


def _without_date_column(data: bytes) -> bytes:
    return data.replace(b"collected_on", b"date", 1)


MANIFEST_FILE_CASES = [
    ManifestFileCase(
        "byte-order mark (Excel's UTF-8)",
        lambda data: b"\xef\xbb\xbf" + data,
        None,
        outcome="accepted",
    ),
    ManifestFileCase(
        "Windows line endings (CRLF)",
        lambda data: data.replace(b"\n", b"\r\n"),
        None,
        outcome="accepted",
    ),
    ManifestFileCase(
        "blank lines",
        _with_blank_lines,
        None,
        outcome="skipped; row numbers stay the file's line numbers",
    ),
    ManifestFileCase(
        "manifest not saved as UTF-8",
        _not_utf8,
        "the manifest is not UTF-8 text: save it as UTF-8 (tab-separated)",
    ),
    ManifestFileCase(
        "a required column missing or misspelt",
        _without_date_column,
        "header: missing column(s) collected_on",
    ),
]

ALL_CASES = [*FILE_CASES, *MANIFEST_ROW_CASES, *MANIFEST_FILE_CASES]
