import re
from html.parser import HTMLParser

from fieldcorpus.corpus.casebook import (
    casebook_html,
    casebook_markdown,
    item_heading,
    load_documents,
    md_escape,
    table_rows,
)

from tests.support.items import document_item, small_study, write_items


def p01(tmp_path):
    paths = write_items(tmp_path, [d for d in small_study() if d["item"]["practice"] == "P01"])
    return load_documents(paths)


class Outline(HTMLParser):
    """Headings, ids, links and external references of an HTML page."""

    def __init__(self):
        super().__init__()
        self.headings, self.ids, self.links, self.external = [], set(), [], []
        self._tag = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("src", "href"):
            if attrs.get(name) and not attrs[name].startswith("#"):
                self.external.append(attrs[name])
        if tag in ("h1", "h2", "h3", "h4"):
            self._tag, self._text = tag, ""

    def handle_data(self, data):
        if self._tag:
            self._text += data

    def handle_endtag(self, tag):
        if tag == self._tag:
            self.headings.append((tag, self._text))
            self._tag = None


def test_items_are_in_wave_then_date_order(tmp_path):
    documents = p01(tmp_path)
    assert [d["item"]["item_id"] for d in documents] == [
        "P01-W1-DOC-01",
        "P01-W1-INT-01",
        "P01-W2-INT-01",
    ]


def test_html_has_a_heading_per_wave_and_item_and_a_working_contents(tmp_path):
    documents = p01(tmp_path)
    page = casebook_html("P01", documents)
    outline = Outline()
    outline.feed(page)
    h2 = [text for tag, text in outline.headings if tag == "h2"]
    h3 = [text for tag, text in outline.headings if tag == "h3"]
    assert h2 == ["Contents", "Wave 1", "Wave 2"]
    assert h3 == [item_heading(d["item"]) for d in documents]
    assert h3[1] == "P01-W1-INT-01 · 2025-03-11 · interview · GP"
    assert [text for tag, text in outline.headings if tag == "h4"] == ["Page 1", "Page 2"]
    anchors = [link[1:] for link in outline.links if link.startswith("#")]
    assert len(anchors) == 2 + len(documents) and set(anchors) <= outline.ids
    assert outline.external == []
    assert "default-src 'none'" in page


def test_html_shows_timestamped_turns_and_escapes_text(tmp_path):
    documents = p01(tmp_path)
    documents[1]["units"][0]["text"] = "<script>alert(1)</script> & [GP 1]"
    page = casebook_html("P01", documents)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [GP 1]" in page
    assert re.search(r'<span class="ts">\[00:01:05\]</span> <span class="speaker">S1:</span>', page)
    assert "(OCR)" in page


def test_markdown_mirrors_the_html(tmp_path):
    documents = p01(tmp_path)
    text = casebook_markdown("P01", documents)
    headings = re.findall(r"^(#{1,4}) (.*)$", text, flags=re.M)
    assert [h for level, h in headings if level == "###"] == [
        item_heading(d["item"]) for d in documents
    ]
    assert [h for level, h in headings if level == "##"] == ["Contents", "Wave 1", "Wave 2"]
    assert "`[00:00:08]` **S2:** I'm [GP 1] at [Practice] in [Town 1], café owner's son." in text
    assert "- [Wave 1](#wave-1)" in text and "(#item-p01-w1-int-01)" in text


def test_markdown_escaping_keeps_pseudonyms_literal():
    assert md_escape("[GP 1] said *no* <b>") == "[GP 1] said \\*no\\* \\<b\\>"
    assert md_escape("1. first\n# not a heading") == "1\\. first\\\n\\# not a heading"
    assert md_escape("see [GP 1](x)") == "see [GP 1]\\(x)"


def test_tables_from_a_cell_grid_or_markdown_text(tmp_path):
    grid = {
        "text": "Step Check",
        "page": 1,
        "table": {"cells": [["Step", "Check"], ["1", "Peak flow"]]},
    }
    pipe = {"text": "| Step | Check |\n|---|---|\n| 2 | Inhaler technique |", "page": 2}
    assert table_rows(grid) == [["Step", "Check"], ["1", "Peak flow"]]
    assert table_rows(pipe) == [["Step", "Check"], ["2", "Inhaler technique"]]
    assert table_rows({"text": "plain | text"}) is None
    document = document_item("P01-W1-DOC-02", "P01", 1, "2025-03-12", blocks=[grid, pipe])
    page = casebook_html("P01", [document])
    assert page.count('<table class="doc-table">') == 2
    assert "<tr><td>2</td><td>Inhaler technique</td></tr>" in page
    text = casebook_markdown("P01", [document])
    assert "| Step | Check |\n|---|---|\n| 1 | Peak flow |" in text
