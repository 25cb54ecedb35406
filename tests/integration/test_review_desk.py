"""The review desk in a real browser (Playwright driving Debian's chromium) on a copy of the demo
run with a third wave: hear a recording's passage, make three decisions (an alias merge onto an
existing person, an allow-list word, a released shape), rerun from the desk, and check that the
shareable outputs changed exactly as decided and nothing else did."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fieldcorpus.deid.ledger import Ledger
from fieldcorpus.files import read_tsv
from fieldcorpus.manifest import load_allow_list, load_register

from tests.conftest import REPO, copy_run, snakemake
from tests.support.chromium import chromium_executable

pytestmark = pytest.mark.integration

# A wave-3 practice note: 'Sally' is what the staff call Dr Sarah Mitchell.
NOTE = (
    "Practice meeting notes, March 2026.\n\n"
    "At the meeting Sally asked for the asthma recall list to be updated before the spring "
    "clinics. Dr Mitchell agreed to check the reliever audit first.\n"
)
NOTE_ROW = (
    "P01-W3-DOC-01\tP01\t3\t2026-03-02\tdocument\tpractice_manager\t"
    "P01/wave3/practice-meeting-notes.txt\ten\tPractice meeting notes.\t\n"
)
# (decided text, its entry's item, the decision, its target, the pseudonym it had)
DECISIONS = [
    ("Sally", "P01-W3-DOC-01", "same_person", "[GP 1]", "[Person 1]"),
    ("Enhailer", "P01-W2-CLN-01", "allow", "", "[Name 1]"),
    ("PR1 3NX", "P02-W1-DOC-01", "release", "", "[Postcode]"),
]
SCREENSHOT = REPO / "docs" / "review-desk.png"


def shareable_units(workdir: Path) -> dict[str, list[str]]:
    root = workdir / "results" / "shareable" / "items"
    return {
        path.stem: [u["text"] for u in json.loads(path.read_text())["units"]]
        for path in sorted(root.glob("*/*.json"))
    }


def ledgers(workdir: Path) -> dict[str, list[dict]]:
    folder = workdir / "results" / "restricted" / "ledger"
    return {p.stem: Ledger.read(p).rows for p in sorted(folder.glob("*.tsv"))}


def restricted_units(workdir: Path, item_id: str) -> list[str]:
    for folder in ("transcripts", "text"):
        found = list((workdir / "results" / "restricted" / folder).glob(f"*/{item_id}.json"))
        if found:
            return [u["text"] for u in json.loads(found[0].read_text())["units"]]
    raise AssertionError(item_id)


@pytest.fixture
def wave3(demo_run, tmp_path) -> Path:
    """A copy of the demo run with a third wave's practice note processed."""
    workdir = copy_run(demo_run, tmp_path / "run")
    note = workdir / "demo" / "fieldwork" / "P01" / "wave3" / "practice-meeting-notes.txt"
    note.parent.mkdir(parents=True)
    note.write_text(NOTE, encoding="utf-8")
    with open(workdir / "demo" / "manifest.tsv", "a", encoding="utf-8") as manifest:
        manifest.write(NOTE_ROW)
    result = snakemake(workdir, offline=True)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


def start_desk(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts"), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "fieldcorpus.cli.main", "review", "--serve", "--no-browser",
         "-d", str(workdir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    line = process.stdout.readline().strip()
    assert re.fullmatch(r"review desk: http://127\.0\.0\.1:\d+/\?token=[\w-]{32,}", line), line
    return process, line.split(": ", 1)[1]


def card(page, text: str, item_id: str):
    return (
        page.locator("article.entry")
        .filter(has=page.locator("mark", has_text=re.compile(f"^{re.escape(text)}$")))
        .filter(has_text=f"item {item_id}")
        .first
    )


def test_three_decisions_at_the_desk_then_a_rerun(wave3, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = chromium_executable()
    before_units = shareable_units(wave3)
    before_ledgers = ledgers(wave3)
    assert "Sally" not in " ".join(before_units["P01-W3-DOC-01"])
    desk, url = start_desk(wave3)
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable,
                args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            outside = []
            page.on(
                "request", lambda r: r.url.startswith(url.split("/?")[0]) or outside.append(r.url)
            )
            page.goto(url)
            page.wait_for_selector("article.entry")
            assert (
                page.locator("#counts")
                .inner_text()
                .startswith(str(page.locator("article.entry").count()))
            )
            # Hear it: the recording's passage decodes and the audio element knows its length.
            enhailer = card(page, "Enhailer", "P01-W2-CLN-01")
            enhailer.locator("button.hear").click()
            page.wait_for_function(
                "() => { const a = document.querySelector('article.entry audio');"
                " return a && a.readyState >= 1 && a.duration > 1; }",
                timeout=60_000,
            )
            duration = page.evaluate("document.querySelector('article.entry audio').duration")
            assert 4.0 < duration < 60.0
            body = page.locator("body").inner_text()
            assert ".wav" not in body and "Interview Sarah" not in body  # no raw file name
            shot = tmp_path / "review-desk.png"
            page.screenshot(path=str(shot))
            # The page's CSP allows no eval: every predicate above and below is a function.
            # 1. 'Sally' is the same person as [GP 1].
            sally = card(page, "Sally", "P01-W3-DOC-01")
            sally.locator("select.person-target").select_option("[GP 1]")
            sally.locator("button.do-same_person").click()
            page.wait_for_selector("#message.ok")
            # 2. 'Enhailer' (a misheard 'inhaler') is not identifying: the keyboard shortcut.
            card(page, "Enhailer", "P01-W2-CLN-01").focus()
            page.keyboard.press("a")
            page.wait_for_function(
                "() => document.querySelector('#message').textContent.includes('Enhailer')"
            )
            # 3. The practice's published postcode, reviewed as safe, is released.
            card(page, "PR1 3NX", "P02-W1-DOC-01").locator("button.do-release").click()
            page.wait_for_function(
                "() => document.querySelector('#message').textContent.includes('PR1 3NX')"
            )
            assert "ok" in page.locator("#message").get_attribute("class")
            # Then: the items the next run changes, and the run started from the desk.
            then = page.locator("#then-items li").all_inner_texts()
            assert set(then) == {"P01-W3-DOC-01", "P01-W2-CLN-01", "P02-W1-DOC-01", "P02-W2-DOC-02"}
            page.locator("#start-run").click()
            page.wait_for_function(
                "() => /Run (done|failed)/.test(document.querySelector('#run-state').textContent)",
                timeout=1_800_000,
                polling=2000,
            )
            state = page.locator("#run-state").inner_text()
            tail = page.locator("#run-tail").inner_text()
            assert state.startswith("Run done"), tail
            settled = "() => document.querySelector('#then-summary').textContent.startsWith('No')"
            page.wait_for_function(settled)
            browser.close()
        assert outside == []
    finally:
        desk.terminate()
        desk.wait(timeout=30)

    after_units = shareable_units(wave3)
    changed = {item for item in before_units if after_units[item] != before_units[item]}
    assert changed == {"P01-W3-DOC-01", "P01-W2-CLN-01", "P02-W1-DOC-01", "P02-W2-DOC-02"}
    for text, _, _, target, had in DECISIONS:
        becomes = target or text
        for item_id in sorted(changed):
            raw = restricted_units(wave3, item_id)
            for index, (old, new) in enumerate(
                zip(before_units[item_id], after_units[item_id], strict=True)
            ):
                if re.search(rf"(?<!\w){re.escape(text)}(?!\w)", raw[index]):
                    assert had in old and new == old.replace(had, becomes, old.count(had)), (
                        item_id,
                        index,
                    )
    for practice, rows in before_ledgers.items():
        assert ledgers(wave3)[practice][: len(rows)] == rows
    register = load_register(wave3 / "demo" / "register.tsv")
    mitchell = next(e for e in register if e.name == "Sarah Mitchell")
    assert mitchell.aliases[-1] == "Sally" and mitchell.pseudonym == "[GP 1]"
    assert {"enhailer", "pr1 3nx"} <= load_allow_list(wave3 / "config" / "allow_list.txt")
    log = read_tsv(wave3 / "results" / "restricted" / "review" / "decisions.tsv")
    assert [row["action"] for row in log] == ["same_person", "allow", "release"]
    for row in log:
        for file in json.loads(row["files"]).values():
            assert Path(file["backup"]).is_file() and file["before"] != file["after"]
    assert (wave3 / "results" / "shareable" / "leak-check.tsv").is_file()
    if os.environ.get("FIELDCORPUS_UPDATE_SCREENSHOT"):
        from PIL import Image

        SCREENSHOT.parent.mkdir(exist_ok=True)
        Image.open(shot).convert("RGB").quantize(64).save(SCREENSHOT, optimize=True)
