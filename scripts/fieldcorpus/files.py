"""Atomic writes, zone permissions, checksums, and the text of TSV files and HTML pages."""

from __future__ import annotations

import csv
import glob
import hashlib
import html
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

RESTRICTED_FILE_MODE = 0o600
RESTRICTED_DIR_MODE = 0o700
SHAREABLE_FILE_MODE = 0o644
# Generated pages are self-contained: they may load nothing (no script, font, frame or remote
# image), so a page opened from a shared folder cannot call out or run code.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def make_restricted_dirs(path: str | os.PathLike) -> Path:
    """Create a directory chain with 0700 on every level we create (umask-independent)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True)
        os.chmod(directory, RESTRICTED_DIR_MODE)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes, mode: int) -> Path:
    """Write to a temporary file in the same directory, fsync, chmod, then rename over `path`.

    A killed job therefore leaves either the old file or none, never a partial one in its
    place; the hidden temporary file it may leave is removed before the next job that writes
    `path` starts (remove_stale_partials).
    """
    return _atomic_write(path, mode, lambda handle: handle.write(data))


def atomic_copy(source: str | os.PathLike, path: str | os.PathLike, mode: int) -> Path:
    """Copy a file into place the same way, streaming it (recordings can be large)."""
    with open(source, "rb") as original:
        return _atomic_write(path, mode, lambda handle: shutil.copyfileobj(original, handle))


# Snakemake dates a directory() output by an empty file it keeps inside, created with the
# process umask when missing: a job that creates it first, with its zone's mode, sets the mode.
DIRECTORY_MARKER = ".snakemake_timestamp"


def create_directory_marker(directory: str | os.PathLike, mode: int) -> Path:
    return atomic_write_bytes(Path(directory) / DIRECTORY_MARKER, b"", mode)


def remove_stale_partials(path: str | os.PathLike) -> None:
    """Remove the hidden temporary files a killed writer of `path` left (SIGKILL runs no
    cleanup). Only for a job's own outputs, before it writes them: Snakemake lets one job at a
    time write an output, while shared caches (models) may have a live writer."""
    path = Path(path)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.partial"):
        stale.unlink(missing_ok=True)


def _partial_file(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)


def _atomic_write(path: str | os.PathLike, mode: int, write) -> Path:
    path = Path(path)
    fd, tmp_name = _partial_file(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str, mode: int) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), mode)


def dump_json(data) -> str:
    """Stable JSON: sorted keys, fixed indentation, trailing newline (byte-identical reruns)."""
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write_restricted_json(path: str | os.PathLike, data) -> Path:
    return atomic_write_text(path, dump_json(data), RESTRICTED_FILE_MODE)


def write_shareable_json(path: str | os.PathLike, data) -> Path:
    return atomic_write_text(path, dump_json(data), SHAREABLE_FILE_MODE)


def read_json(path: str | os.PathLike):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def atomic_output_path(path: str | os.PathLike) -> tuple[Path, Path]:
    """For writers that need a file name (parquet, docx): returns (temporary path, final path)."""
    path = Path(path)
    fd, tmp_name = _partial_file(path)
    os.close(fd)
    return Path(tmp_name), path


def commit_output(tmp: Path, final: Path, mode: int) -> Path:
    os.chmod(tmp, mode)
    os.replace(tmp, final)
    return final


def tsv_text(
    rows: Iterable[Mapping], columns, *, header: bool = True, ignore_extra: bool = False
) -> str:
    """Rows as tab-separated text in the given column order, a header line first unless `header`
    is false (rows appended to an existing file). A key outside `columns` is an error unless
    `ignore_extra` (rows read from a file that may carry columns of its own)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        columns,
        delimiter="\t",
        lineterminator="\n",
        extrasaction="ignore" if ignore_extra else "raise",
    )
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def read_tsv(path: str | os.PathLike) -> list[dict]:
    """Rows of a tab-separated file with a header line (a byte-order mark before it is dropped)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def html_page(title: str, css: str, body: Iterable[str]) -> str:
    """A self-contained HTML page: charset, the Content-Security-Policy, the escaped title and the
    inline style in its head, then the `body` lines (HTML, escaped by the caller), one a line."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            f"<style>\n{css}\n</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )
