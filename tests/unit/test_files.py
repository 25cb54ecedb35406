import os
import stat

from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    atomic_write_text,
    make_restricted_dirs,
    sha256_file,
)


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


def test_atomic_write_replaces_and_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "one", 0o644)
    atomic_write_text(target, "two", 0o644)
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert len(sha256_file(target)) == 64
