import os
import re
import stat
from pathlib import Path

import pytest
from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    atomic_output_path,
    atomic_write_text,
    commit_output,
    create_directory_marker,
    make_restricted_dirs,
    read_tsv,
    remove_stale_partials,
    sha256_file,
    tsv_text,
)
from snakemake import io


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_restricted_dirs_and_files_ignore_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        directory = make_restricted_dirs(tmp_path / "restricted" / "ledger")
        path = atomic_write_text(directory / "P01.tsv", "x\n", RESTRICTED_FILE_MODE)
    finally:
        os.umask(old)
    assert mode(tmp_path / "restricted") == 0o700 and mode(directory) == 0o700
    assert mode(path) == 0o600


def test_a_directory_outputs_marker_keeps_its_zones_mode_when_snakemake_touches_it(tmp_path):
    old = os.umask(0)
    try:
        folder = make_restricted_dirs(tmp_path / "restricted" / "provenance")
        marker = create_directory_marker(folder, RESTRICTED_FILE_MODE)
        # What Snakemake does to a directory() output once its job is done (IOFile.touch).
        snakemake_touched = io.IOFile(str(folder))
        snakemake_touched.flags["directory"] = True
        snakemake_touched.touch()
    finally:
        os.umask(old)
    assert marker == folder / ".snakemake_timestamp" and marker.read_bytes() == b""
    assert mode(marker) == 0o600
    assert [p.name for p in folder.iterdir()] == [".snakemake_timestamp"]


def test_atomic_write_replaces_and_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "one", 0o644)
    atomic_write_text(target, "two", 0o644)
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert len(sha256_file(target)) == 64


def test_stale_partials_of_an_output_are_removed_and_no_others(tmp_path):
    target = tmp_path / "corpus.parquet"
    # What SIGKILL leaves mid-write: the hidden temporary files, never the target itself.
    (tmp_path / ".corpus.parquet.pv1ga803.partial").write_bytes(b"half")
    (tmp_path / ".corpus.parquet.x2.partial").write_bytes(b"")
    (tmp_path / ".corpus.csv.ab12.partial").write_bytes(b"another output's")
    remove_stale_partials(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".corpus.csv.ab12.partial"]
    # The writers themselves leave a live writer's temporary file alone (a shared model cache
    # may be written by two jobs at once).
    tmp, final = atomic_output_path(target)
    atomic_write_text(target, "other writer", 0o644)
    assert tmp.exists()
    commit_output(tmp, final, 0o644)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".corpus.csv.ab12.partial", target.name]


def test_tsv_text_reads_back_cell_for_cell_through_read_tsv(tmp_path):
    rows = [
        {"item_id": "P01-W1-INT-01", "text": 'a tab\there, a "quote"', "score": 0.5},
        {"item_id": "P01-W1-DOC-01", "text": "two\nlines", "score": ""},
    ]
    text = tsv_text(rows, ("item_id", "text", "score"))
    assert text.startswith("item_id\ttext\tscore\n")
    path = tmp_path / "rows.tsv"
    atomic_write_text(path, text, RESTRICTED_FILE_MODE)
    assert read_tsv(path) == [{k: str(v) for k, v in row.items()} for row in rows]


def test_tsv_text_without_header_appends_rows_only():
    assert tsv_text([{"a": "1", "b": "2"}], ("a", "b"), header=False) == "1\t2\n"


def test_tsv_text_refuses_unknown_keys_unless_told_to_ignore_them():
    rows = [{"a": "1", "b": "2", "extra": "x"}]
    with pytest.raises(ValueError):
        tsv_text(rows, ("a", "b"))
    assert tsv_text(rows, ("a", "b"), ignore_extra=True) == "a\tb\n1\t2\n"


def test_read_tsv_drops_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.tsv"
    path.write_bytes("\ufeffitem_id\tpractice\r\nP01-W1-INT-01\tP01\r\n".encode())
    assert read_tsv(path) == [{"item_id": "P01-W1-INT-01", "practice": "P01"}]


# Lenient readers of hand-edited files that keep line numbers or skip blank lines, and modules
# other helpers are rewriting; everything else writes and reads TSV through files.
OWN_TSV_READERS = {
    "manifest.py",  # line-numbered, whitespace-tolerant validation of the manifest and register
    "provenance/audit.py",  # the audit reads a broken manifest leniently
    "audio/redaction.py",
    "audio/jobs.py",
    "deid/ledger.py",  # the detection index
}


def test_tsv_is_written_and_read_through_one_helper():
    package = Path(__file__).resolve().parents[2] / "scripts" / "fieldcorpus"
    tab_csv = re.compile(r"csv\.(?:writer|reader|DictWriter|DictReader)\([^)]*delimiter=.\\t")
    copies = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.name != "files.py" and tab_csv.search(path.read_text(encoding="utf-8"))
    ]
    assert sorted(set(copies) - OWN_TSV_READERS) == []
