"""What analysts open, checked on the demo run: the tabular corpora, the REFI-QDA projects, the
casebooks (in a real headless Chromium), the summaries in the Snakemake report, byte-identical
reruns, and a leak check that covers every one of these formats."""

from __future__ import annotations

import base64
import csv
import datetime
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lxml import etree
from PIL import Image, PngImagePlugin

from tests.conftest import copy_run, shared_path, snakemake
from tests.support.chromium import Chromium
from tests.support.refi_client import read_project

pytestmark = pytest.mark.integration

PRACTICES = ("P01", "P02")
NS = {"q": "urn:QDA-XML:project:1.0"}
EXPECTED_DTYPES = {
    "practice": "category",
    "wave": "Int32",
    "collected_on": "object",
    "item_id": "string",
    "kind": "category",
    "role": "category",
    "unit_id": "string",
    "sequence": "Int32",
    "speaker": "string",
    "start_s": "float64",
    "end_s": "float64",
    "page": "Int32",
    "text": "string",
    "word_count": "Int32",
    "ocr": "bool",
}
# Corpus assembly's byte-stability is a unit test; these are the rules whose outputs embed
# archives, images and markup.
RERUN_RULES = (
    "build_casebook",
    "export_practice_qdpx",
    "export_study_qdpx",
    "summarise_practice",
    "summarise_study",
)


def manifest(workdir: Path) -> list[dict]:
    with open(workdir / "demo" / "manifest.tsv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def shareable(workdir: Path) -> Path:
    return workdir / "results" / "shareable"


def item_json(workdir: Path, row: dict) -> dict:
    path = shareable(workdir) / "items" / row["practice"] / f"{row['item_id']}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def corpus_outputs(workdir: Path) -> list[Path]:
    """Every file the corpus stage writes into shareable/."""
    root = shareable(workdir)
    found = [p for d in ("corpus", "qda", "casebook", "summaries") for p in (root / d).rglob("*")]
    return sorted(p for p in found if p.is_file())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def register_name(workdir: Path) -> str:
    with open(workdir / "demo" / "register.tsv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return max((row["name"] for row in rows if row["entity_type"] == "person"), key=len)


@pytest.mark.parametrize("group", [*PRACTICES, "all"])
def test_parquet_csv_and_jsonl_hold_every_unit_in_order(demo_run, group):
    rows = [r for r in manifest(demo_run) if group in ("all", r["practice"])]
    folder = shareable(demo_run) / "corpus" / group
    frame = pd.read_parquet(folder / "corpus.parquet")
    assert {c: str(t) for c, t in frame.dtypes.items()} == EXPECTED_DTYPES
    schema = pq.read_schema(folder / "corpus.parquet")
    assert schema.field("collected_on").type == pa.date32()
    assert set(frame["kind"].cat.categories) >= {r["kind"] for r in rows}
    keys = list(zip(frame["collected_on"], frame["item_id"], frame["sequence"], strict=True))
    assert keys == sorted(keys)

    assert list(frame["item_id"].unique()) == [
        r["item_id"] for r in sorted(rows, key=lambda r: (r["collected_on"], r["item_id"]))
    ]
    for row in rows:
        units = item_json(demo_run, row)["units"]
        mine = frame[frame["item_id"] == row["item_id"]]
        assert len(mine) == len(units), row["item_id"]
        assert mine["sequence"].tolist() == list(range(1, len(units) + 1))
        assert mine["text"].tolist() == [u["text"] for u in units]
        assert mine["unit_id"].tolist() == [u["id"] for u in units]
        first = mine.iloc[0]
        assert (str(first["collected_on"]), int(first["wave"])) == (
            row["collected_on"],
            int(row["wave"]),
        )
        assert (first["kind"], first["role"], first["practice"]) == (
            row["kind"],
            row["role"],
            row["practice"],
        )
        if row["kind"] in ("interview", "clinic_review"):
            assert mine["start_s"].notna().all() and mine["page"].isna().all()
        elif row["kind"] == "document":
            assert mine["page"].notna().all() and mine["start_s"].isna().all()

    raw = (folder / "corpus.csv").read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"practice","wave",')
    from_csv = pd.read_csv(folder / "corpus.csv", encoding="utf-8-sig", keep_default_na=False)
    assert from_csv["text"].tolist() == frame["text"].tolist()
    assert from_csv["item_id"].tolist() == frame["item_id"].tolist()

    lines = (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["text"] for r in records] == frame["text"].tolist()
    assert [r["collected_on"] for r in records] == [str(d) for d in frame["collected_on"]]

    dictionary = (folder / "data-dictionary.md").read_text(encoding="utf-8")
    for column in frame.columns:
        assert f"| `{column}` |" in dictionary


@pytest.fixture(scope="module")
def refi_schema():
    return etree.XMLSchema(etree.parse(str(shared_path("refi-qda", "Project.xsd"))))


@pytest.mark.parametrize("group", [*PRACTICES, "all"])
def test_qdpx_validates_with_one_case_per_practice_and_its_sources(demo_run, group, refi_schema):
    rows = [r for r in manifest(demo_run) if group in ("all", r["practice"])]
    archive = zipfile.ZipFile(shareable(demo_run) / "qda" / f"{group}.qdpx")
    assert archive.testzip() is None
    root = etree.fromstring(archive.read("project.qde"))
    refi_schema.assertValid(root)

    variables = {v.get("guid"): v.get("name") for v in root.iterfind(".//q:Variable", NS)}
    assert set(variables.values()) >= {"wave", "collected_on", "kind", "role"}
    sources = {s.get("guid"): s for s in root.iterfind(".//q:Sources/q:TextSource", NS)}
    cases = root.findall(".//q:Cases/q:Case", NS)
    expected_practices = PRACTICES if group == "all" else (group,)
    assert [c.get("name") for c in cases] == list(expected_practices)
    for case in cases:
        refs = [r.get("targetGUID") for r in case.iterfind("q:SourceRef", NS)]
        assert {sources[g].get("name") for g in refs} == {
            r["item_id"] for r in rows if r["practice"] == case.get("name")
        }
    assert len(sources) == len(rows)

    by_name = {s.get("name"): s for s in sources.values()}
    for row in rows:
        source = by_name[row["item_id"]]
        values = {
            variables[v.find("q:VariableRef", NS).get("targetGUID")]: v[1].text
            for v in source.iterfind("q:VariableValue", NS)
        }
        assert values == {
            "practice": row["practice"],
            "wave": row["wave"],
            "collected_on": row["collected_on"],
            "kind": row["kind"],
            "role": row["role"],
        }
        text_path = source.get("plainTextPath").removeprefix("internal://")
        text = archive.read(f"sources/{text_path}").decode("utf-8")
        shared_text = shareable(demo_run) / "items" / row["practice"] / f"{row['item_id']}.txt"
        assert text == shared_text.read_text(encoding="utf-8")
        if row["kind"] in ("interview", "clinic_review"):
            assert re.match(r"\[\d\d:\d\d:\d\d\] ", text)
    # Audio is identifiable: it never enters an export unless the data manager opts in.
    assert not root.findall(".//q:AudioSource", NS)
    assert all(name.endswith((".qde", ".txt", ".docx")) for name in archive.namelist())


@pytest.mark.parametrize("group", [*PRACTICES, "all"])
def test_a_client_sees_dated_sources_with_their_variables_and_cases_with_their_own(demo_run, group):
    rows = [r for r in manifest(demo_run) if group in ("all", r["practice"])]
    client = read_project((shareable(demo_run) / "qda" / f"{group}.qdpx").read_bytes())
    assert client.source_variables == {"practice", "wave", "collected_on", "kind", "role"}
    assert client.case_variables == {"case_practice"}
    assert set(client.sources) == {r["item_id"] for r in rows}
    for row in rows:
        source = client.sources[row["item_id"]]
        assert source.variables == {
            "practice": row["practice"],
            "wave": int(row["wave"]),
            "collected_on": datetime.date.fromisoformat(row["collected_on"]),
            "kind": row["kind"],
            "role": row["role"],
        }
        assert source.stamped.created.date().isoformat() == row["collected_on"]
        assert source.stamped.modified == source.stamped.created
        assert source.stamped.creating_user in client.users
    for practice, case in client.cases.items():
        assert case["variables"] == {"case_practice": practice}


def test_rerunning_the_corpus_stage_gives_identical_bytes(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    before = {p.relative_to(workdir).as_posix(): digest(p) for p in corpus_outputs(workdir)}
    assert any(name.endswith(".qdpx") for name in before) and len(before) >= 20
    result = snakemake(workdir, "--forcerun", *RERUN_RULES)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "export_study_qdpx" in result.stdout + result.stderr
    after = {p.relative_to(workdir).as_posix(): digest(p) for p in corpus_outputs(workdir)}
    assert after == before


def test_casebook_opens_in_headless_chromium_with_every_item_heading(demo_run, tmp_path):
    for practice in PRACTICES:
        rows = sorted(
            (r for r in manifest(demo_run) if r["practice"] == practice),
            key=lambda r: (int(r["wave"]), r["collected_on"], r["item_id"]),
        )
        page = shareable(demo_run) / "casebook" / practice / "casebook.html"
        with Chromium(tmp_path / f"profile-{practice}") as browser:
            browser.open(page.as_uri())
            assert browser.problems() == []
            headings = browser.evaluate(
                "[...document.querySelectorAll('article.item h3')].map(h => ({"
                "text: h.innerText, visible: h.getBoundingClientRect().height > 0 &&"
                " getComputedStyle(h).visibility === 'visible'}))"
            )
            waves = browser.evaluate(
                "[...document.querySelectorAll('section.wave h2')].map(h => h.innerText)"
            )
            contents = browser.evaluate("document.querySelectorAll('nav a').length")
            shot = browser.screenshot(tmp_path / f"casebook-{practice}.png")
        assert [h["text"].split(" · ")[:2] for h in headings] == [
            [r["item_id"], r["collected_on"]] for r in rows
        ]
        assert all(h["visible"] for h in headings)
        assert waves == [f"Wave {w}" for w in sorted({int(r["wave"]) for r in rows})]
        assert contents == len(rows) + len(waves)
        image = Image.open(shot)
        assert image.format == "PNG" and image.size == (1280, 1600)
        assert len(image.convert("L").getcolors(256)) > 10  # rendered text, not a blank page
        markdown = (page.parent / "casebook.md").read_text(encoding="utf-8")
        assert [line for line in markdown.splitlines() if line.startswith("### ")] == [
            f"### {h['text']}" for h in headings
        ]


def test_report_shows_timelines_and_summary_table(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    result = snakemake(workdir, "--report", "report.html")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (workdir / "report.html").read_text(encoding="utf-8")
    found = re.search(r'<script id="results">\s*var results = (\{.*?\});\s*</script>', page, re.S)
    results = json.loads(found.group(1))

    def embedded(path: str) -> tuple[dict, bytes]:
        entry = results[f"results/shareable/{path}"]
        return entry, base64.b64decode(entry["data_uri"].split("base64,", 1)[1])

    for practice in PRACTICES:
        entry, data = embedded(f"summaries/{practice}/timeline.png")
        assert entry["mime_type"] == "image/png" and entry["labels"] == {"practice": practice}
        assert f"<strong>{practice}</strong>" in entry["caption"]
        assert data == (shareable(workdir) / "summaries" / practice / "timeline.png").read_bytes()
    entry, data = embedded("summaries/all/summary.html")
    assert entry["mime_type"] == "text/html" and "per practice" in entry["caption"]
    table = pd.read_html(io.StringIO(data.decode("utf-8")))[0]
    with open(shareable(workdir) / "summaries/all/summary.tsv", encoding="utf-8") as handle:
        tsv = list(csv.DictReader(handle, delimiter="\t"))
    assert len(table) == len(tsv) + 1  # and the totals row
    assert table["items"].iloc[-1] == len(manifest(workdir))
    assert [
        (str(p), str(k)) for p, k in zip(table["practice"][:-1], table["kind"][:-1], strict=True)
    ] == [(r["practice"], r["kind"]) for r in tsv]
    _, data = embedded("summaries/all/summary.tsv")
    assert data == (shareable(workdir) / "summaries/all/summary.tsv").read_bytes()


def plant(path: Path, name: str) -> None:
    """Put `name` into a shareable file the way its format holds text."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        frame = table.to_pandas()
        frame.loc[0, "text"] = f"{frame.loc[0, 'text']} {name}"
        pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), path)
    elif path.suffix == ".qdpx":
        with zipfile.ZipFile(path) as archive:
            entries = [(info, archive.read(info)) for info in archive.infolist()]
        source = next(i for i, (info, _) in enumerate(entries) if info.filename.endswith(".txt"))
        info, data = entries[source]
        entries[source] = (info, data + f"\nplanted {name}\n".encode())
        with zipfile.ZipFile(path, "w") as archive:
            for info, data in entries:
                archive.writestr(info, data)
    elif path.suffix == ".png":
        image = Image.open(path)
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", name)
        image.save(path, pnginfo=info)
    elif path.suffix == ".html":
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("</h1>", f" {name}</h1>", 1), encoding="utf-8")
    elif path.suffix == ".jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        record = json.loads(lines[-1])
        record["text"] += f" {name}"
        lines[-1] = json.dumps(record, ensure_ascii=False)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif path.suffix == ".csv":
        frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)
        frame.loc[len(frame) - 1, "text"] += f" {name}"
        frame.to_csv(path, index=False, encoding="utf-8-sig", quoting=1)
    else:
        path.write_text(path.read_text(encoding="utf-8") + f"\n{name}\n", encoding="utf-8")


def test_leak_check_covers_every_new_output(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    name = register_name(workdir)
    root = shareable(workdir)
    targets = [
        "corpus/P01/corpus.parquet",
        "corpus/P02/corpus.csv",
        "corpus/all/corpus.jsonl",
        "corpus/P01/data-dictionary.md",
        "qda/P02.qdpx",
        "qda/all.qdpx",
        "casebook/P01/casebook.md",
        "casebook/P02/casebook.html",
        "summaries/P01/summary.tsv",
        "summaries/P02/timeline.png",
        "summaries/all/summary.html",
    ]
    suffixes = {p.name.split(".", 1)[1] for p in corpus_outputs(workdir)}
    assert suffixes == {Path(t).name.split(".", 1)[1] for t in targets}  # every format planted
    for target in targets:
        stat = (root / target).stat()
        plant(root / target, name)
        # Same modification time: Snakemake reruns only the leak check, as after a hand edit
        # that kept the timestamp.
        os.utime(root / target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = snakemake(workdir, "--forcerun", "leak_check")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    listing = re.search(r"found in (\d+) shareable file\(s\): (.*?): remove", output)
    assert listing, output[-2000:]
    named = {entry.split(" (item")[0] for entry in listing.group(2).split("; ")}
    assert named == set(targets)
    assert name.lower() not in output.lower()
    assert not (root / "leak-check.tsv").exists()
