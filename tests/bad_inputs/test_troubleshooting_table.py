"""The README's troubleshooting table documents every case of the bad-input suite, with the
message exactly as the pipeline prints it, and how to recover a stale lock."""

from __future__ import annotations

import re

import pytest

from tests.bad_inputs.cases import ALL_CASES
from tests.conftest import REPO


def troubleshooting_section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^### Troubleshooting\b.*?(?=^#{1,3} )", readme, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '### Troubleshooting' section"
    return match.group(0)


def table_rows() -> dict[str, str]:
    """The troubleshooting table's rows by their first cell (the case)."""
    rows = {}
    for line in troubleshooting_section().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 3:
            rows[cells[0]] = line
    return rows


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.case)
def test_every_case_is_in_the_troubleshooting_table_with_its_message(case):
    row = table_rows().get(case.case)
    assert row, f"no troubleshooting row for {case.case!r}"
    for documented in (case.message, getattr(case, "outcome", None)):
        if documented:
            assert f"`{documented}`" in row or documented in row, (case.case, documented)


def test_the_stale_lock_recovery_is_documented():
    assert "snakemake --unlock" in troubleshooting_section()
