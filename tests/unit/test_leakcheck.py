import io
import json
import zipfile

import docx
import pandas as pd
import pytest
from fieldcorpus.deid.leakcheck import check_tree, raise_if_document_leaks, raise_on_leaks
from fieldcorpus.deid.ledger import Ledger
from fieldcorpus.errors import LeakError
from fieldcorpus.manifest import RegisterEntry

REGISTER = [RegisterEntry("P01", "person", "Sarah Mitchell", ("Dr Mitchell",), "gp")]
LEDGER = Ledger(
    [
        {
            "original": "Tom Hargreaves",
            "canonical": "tom hargreaves",
            "entity_type": "person",
            "pseudonym": "[Person 1]",
            "source": "ner",
            "first_item": "I1",
        }
    ]
)


def scan(root):
    return check_tree(root, {"P01": LEDGER}, REGISTER, {"P01-W1-INT-01"})


@pytest.fixture
def shareable(tmp_path):
    root = tmp_path / "shareable"
    (root / "items" / "P01").mkdir(parents=True)
    (root / "items" / "P01" / "P01-W1-INT-01.txt").write_text("[GP 1] met [Person 1].\n")
    return root


def test_clean_tree_passes(shareable):
    rows = scan(shareable)
    assert [r["result"] for r in rows] == ["clean"]
    raise_on_leaks(rows)


def leaked(rows):
    return {(r["file"], r["item_id"]) for r in rows if r["result"] != "clean"}


def test_plain_text_leak_is_case_and_whitespace_insensitive(shareable):
    (shareable / "items" / "P01" / "P01-W1-INT-01.txt").write_text("met SARAH\n  MITCHELL\n")
    rows = scan(shareable)
    assert leaked(rows) == {("items/P01/P01-W1-INT-01.txt", "P01-W1-INT-01")}
    with pytest.raises(LeakError) as caught:
        raise_on_leaks(rows)
    message = str(caught.value).lower()
    assert "items/p01/p01-w1-int-01.txt" in message and "p01-w1-int-01" in message
    assert "sarah" not in message and "mitchell" not in message


def test_leaks_inside_docx_parquet_zip_and_file_names(shareable):
    document = docx.Document()
    document.add_paragraph("Dr Mitchell said so.")
    document.save(shareable / "items" / "P01" / "P01-W1-INT-01.docx")
    pd.DataFrame({"text": ["fine", "tom hargreaves"]}).to_parquet(shareable / "corpus.parquet")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "project.qde", "<Project><Source name='x'>Tom  Hargreaves</Source></Project>"
        )
    (shareable / "P01.qdpx").write_bytes(buffer.getvalue())
    (shareable / "notes_Sarah_Mitchell.txt").write_text("nothing inside")
    assert leaked(scan(shareable)) == {
        ("items/P01/P01-W1-INT-01.docx", "P01-W1-INT-01"),
        ("corpus.parquet", "-"),
        ("P01.qdpx", "-"),
        ("[a file name holding the string]", "-"),
    }


def planted_docx(path):
    """A DOCX whose name is split over two runs, as Word often stores it."""
    document = docx.Document()
    paragraph = document.add_paragraph("Seen by Dr Mit")
    paragraph.add_run("chell today.")
    document.save(path)


def planted_qdpx(path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", "<Project><Source name='Tom&#160;Hargreaves'/></Project>")
        archive.writestr("sources/s.txt", "coded text")
    path.write_bytes(buffer.getvalue())


def planted_parquet(path):
    pd.DataFrame(
        {"practice": ["P01", "P01"], "text": ["fine", "fine"], "n": ["x", "SARAH mitchell"]}
    ).to_parquet(path)


def planted_html(path):
    path.write_text("<p>Sarah&nbsp;<b>Mitch</b>ell</p>")


def planted_json(path):
    path.write_text('{"units": [{"text": "Dr Mitch\\u0065ll"}]}')


def planted_png_name(path):
    path.with_name("P01-W1-INT-01_sarah_mitchell.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")


@pytest.mark.parametrize(
    "name, plant",
    [
        ("P01-W1-INT-01.docx", planted_docx),
        ("P01-W1-INT-01.qdpx", planted_qdpx),
        ("P01-W1-INT-01.parquet", planted_parquet),
        ("P01-W1-INT-01.html", planted_html),
        ("P01-W1-INT-01.json", planted_json),
        ("P01-W1-INT-01.png", planted_png_name),
    ],
)
def test_each_container_is_searched(shareable, name, plant):
    folder = shareable / "items" / "P01"
    plant(folder / name)
    found = leaked(scan(shareable))
    assert len(found) == 1, found
    ((file, item),) = found
    assert item == "P01-W1-INT-01"
    assert (
        file.startswith("items/P01/P01-W1-INT-01")
        or file == "items/[a file name holding the string]"
    )
    assert "sarah" not in file.lower()


def test_images_are_judged_by_name_only_and_clean_containers_pass(shareable):
    folder = shareable / "items" / "P01"
    (folder / "P01-W1-INT-01.png").write_bytes(b"\x89PNG\x00 Sarah Mitchell in pixels")
    pd.DataFrame({"practice": ["P01"], "text": ["[GP 1] said"]}).to_parquet(folder / "t.parquet")
    planted = folder / "P01-W1-INT-01.docx"
    document = docx.Document()
    document.add_paragraph("[GP 1] saw [Person 1].")
    document.save(planted)
    assert leaked(scan(shareable)) == set()


def test_ner_guesses_count_only_in_their_own_practice(tmp_path):
    root = tmp_path / "shareable"
    (root / "items" / "P02").mkdir(parents=True)
    (root / "items" / "P02" / "P02-W1-INT-01.txt").write_text("tom hargreaves\n")
    rows = check_tree(root, {"P01": LEDGER, "P02": Ledger()}, REGISTER, {"P02-W1-INT-01"})
    assert leaked(rows) == set()
    frame = pd.DataFrame({"practice": ["P01", "P02"], "text": ["[Person 1]", "tom hargreaves"]})
    frame.to_csv(root / "all.csv", index=False)
    frame.assign(text=frame["text"][::-1].tolist()).to_csv(root / "swapped.csv", index=False)
    rows = check_tree(root, {"P01": LEDGER, "P02": Ledger()}, REGISTER, set())
    assert leaked(rows) == {("swapped.csv", "-")}


def test_a_name_in_image_metadata_is_a_leak(shareable):
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Tom Hargreaves")
    Image.new("RGB", (4, 4), "white").save(shareable / "items/P01/P01-W1-INT-01.png", pnginfo=info)
    assert leaked(scan(shareable)) == {("items/P01/P01-W1-INT-01.png", "P01-W1-INT-01")}


def test_the_crate_is_checked_when_written_not_by_the_tree_scan(shareable):
    crate = json.dumps({"@graph": [{"@id": "./", "description": "Data from Dr Mitchell"}]})
    (shareable / "ro-crate-metadata.json").write_text(crate)
    assert [r["file"] for r in scan(shareable)] == ["items/P01/P01-W1-INT-01.txt"]
    with pytest.raises(LeakError) as caught:
        raise_if_document_leaks("ro-crate-metadata.json", crate.encode(), {"P01": LEDGER}, REGISTER)
    assert "ro-crate-metadata.json" in str(caught.value) and "Mitchell" not in str(caught.value)
    clean = json.dumps({"@graph": [{"@id": "./", "description": "[GP 1]"}]}).encode()
    raise_if_document_leaks("ro-crate-metadata.json", clean, {"P01": LEDGER}, REGISTER)


def test_markup_is_not_text_a_ledger_entry_nav_fails_only_on_the_casebooks_text(tmp_path):
    """casebook.html has <nav> and a 'nav ul' style rule; a person called Nav is found only
    where the pages' text names them (HTML, Markdown, XML and DOCX alike)."""
    from fieldcorpus.corpus.jobs import build_casebook, export_practice_qdpx
    from fieldcorpus.transcribe.jobs import render_shareable_transcript

    from tests.support.items import speech_item, write_items

    nav = Ledger(
        [
            {
                "original": "Nav",
                "canonical": "nav",
                "entity_type": "person",
                "pseudonym": "[Person 2]",
                "source": "register",
                "first_item": "P01-W1-INT-01",
            }
        ]
    )

    def tree(text):
        root = tmp_path / text.split()[0]
        item = speech_item("P01-W1-INT-01", "P01", 1, "2025-03-11", turns=[(0, 2, "S1", text)])
        items = [str(p) for p in write_items(root, [item])]
        casebook = root / "casebook" / "P01"
        build_casebook(items, "P01", str(casebook / "casebook.md"), str(casebook / "casebook.html"))
        docx_path = str(root / "items" / "P01" / "P01-W1-INT-01.docx")
        render_shareable_transcript(items[0], {"docx": docx_path}, {}, shareable=True)
        export_practice_qdpx(items, [docx_path], str(root / "qda" / "P01.qdpx"), "Study P01")
        (root / "items" / "P01" / "P01-W1-INT-01.xml").write_text(
            f"<nav class='nav' id='nav'><p title='contents'>{text}</p></nav>"
        )
        rows = check_tree(root, {"P01": nav}, REGISTER, {"P01-W1-INT-01"})
        return {row["file"] for row in rows if row["result"] != "clean"}

    assert tree("Clean: [Person 2] saw [GP 1].") == set()
    assert tree("Named: Nav saw [GP 1].") == {
        "casebook/P01/casebook.html",
        "casebook/P01/casebook.md",
        "items/P01/P01-W1-INT-01.docx",
        "items/P01/P01-W1-INT-01.json",
        "items/P01/P01-W1-INT-01.xml",
        "qda/P01.qdpx",
    }
    html = (tmp_path / "Clean:" / "casebook" / "P01" / "casebook.html").read_text()
    assert "<nav" in html and "nav ul" in html


def test_a_name_in_a_links_target_is_still_found(shareable):
    page = shareable / "casebook" / "P01" / "casebook.html"
    page.parent.mkdir(parents=True)
    page.write_text("<nav><a class='nav' href='notes/Sarah Mitchell.html'>x</a></nav>")
    assert leaked(scan(shareable)) == {("casebook/P01/casebook.html", "-")}
