import io

from fieldcorpus.corpus.summaries import (
    COLUMNS,
    read_tsv,
    summary_rows,
    timeline_png,
    write_practice_summary,
    write_study_summary,
)
from PIL import Image

from tests.support.items import small_study, speech_item


def by_cell(rows):
    return {(r["practice"], int(r["wave"]), r["kind"]): r for r in rows}


def test_one_row_per_practice_wave_kind_with_counts():
    rows = summary_rows(small_study())
    assert [(r["practice"], r["wave"], r["kind"]) for r in rows] == [
        ("P01", 1, "interview"),
        ("P01", 1, "document"),
        ("P01", 2, "interview"),
        ("P02", 1, "observation"),
    ]
    cells = by_cell(rows)
    interview = cells[("P01", 1, "interview")]
    assert (interview["items"], interview["units"], interview["recording_minutes"]) == (
        1,
        3,
        "1.50",
    )
    assert interview["pages"] == 0
    document = cells[("P01", 1, "document")]
    assert (document["pages"], document["ocr_pages"], document["words"]) == (2, 1, 8)
    assert document["recording_minutes"] == "0.00"


def test_pseudonyms_count_where_they_first_appear_per_practice():
    cells = by_cell(summary_rows(small_study()))
    # Ledger order: the wave 1 document (10 March) comes before the wave 1 interview (11 March).
    assert cells[("P01", 1, "document")]["pseudonyms_introduced"] == 1  # [Practice manager 1]
    # [Researcher 1], [GP 1], [Practice], [Town 1]; [GP 1] again is not new.
    assert cells[("P01", 1, "interview")]["pseudonyms_introduced"] == 4
    assert cells[("P01", 2, "interview")]["pseudonyms_introduced"] == 1  # [Nurse 1]
    # Another practice's [Nurse 1] is a different person: new there.
    assert cells[("P02", 1, "observation")]["pseudonyms_introduced"] == 1


def test_items_of_one_cell_add_up():
    more = small_study() + [
        speech_item("P01-W1-INT-02", "P01", 1, "2025-03-30", turns=[(0.0, 2.0, "S1", "[GP 2]")])
    ]
    cell = by_cell(summary_rows(more))[("P01", 1, "interview")]
    assert (cell["items"], cell["recording_minutes"], cell["pseudonyms_introduced"]) == (
        2,
        "3.00",
        5,
    )
    assert (cell["first_collected"], cell["last_collected"]) == ("2025-03-11", "2025-03-30")


def test_study_summary_gathers_practice_tables(tmp_path):
    documents = small_study()
    for practice in ("P02", "P01"):
        mine = [d for d in documents if d["item"]["practice"] == practice]
        write_practice_summary(
            practice, mine, tmp_path / practice / "summary.tsv", tmp_path / practice / "t.png", 60
        )
    rows = write_study_summary(
        [tmp_path / "P02" / "summary.tsv", tmp_path / "P01" / "summary.tsv"],
        tmp_path / "all.tsv",
        tmp_path / "all.html",
    )
    assert [r["practice"] for r in rows] == ["P01", "P01", "P01", "P02"]
    assert list(read_tsv(tmp_path / "all.tsv")[0]) == list(COLUMNS)
    page = (tmp_path / "all.html").read_text()
    assert page.count("<tr>") == 1 + len(rows)  # header + one per row; the total row has a class
    assert '<tr class="total"><td colspan="3">all</td><td class="num">4</td>' in page


def test_timeline_is_a_byte_stable_png_without_software_metadata():
    documents = small_study()
    first = timeline_png("P01", documents, dpi=60)
    assert first == timeline_png("P01", list(reversed(documents)), dpi=60)
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG" and image.size[0] == 9 * 60
    assert "Software" not in image.info and b"matplotlib" not in first
