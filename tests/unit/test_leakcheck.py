import io
import zipfile

import docx
import pandas as pd
import pytest
from fieldcorpus.errors import LeakError
from fieldcorpus.leakcheck import check_tree, raise_on_leaks
from fieldcorpus.ledger import Ledger
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
    return {(r["file"], r["item_id"]) for r in rows if r["result"] == "leak"}


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
        ("notes_Sarah_Mitchell.txt", "-"),
    }
