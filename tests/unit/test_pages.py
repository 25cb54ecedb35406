"""Every HTML page the pipeline writes comes from files.html_page and carries its
Content-Security-Policy: a page opened from a shared folder may load nothing and run nothing."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from fieldcorpus.corpus.casebook import casebook_html, load_documents
from fieldcorpus.corpus.summaries import rows_to_html, summary_rows
from fieldcorpus.deid.review import review_html
from fieldcorpus.files import PAGE_CSP, html_page

from tests.support.items import small_study, write_items

PACKAGE = Path(__file__).resolve().parents[2] / "scripts" / "fieldcorpus"


class Head(HTMLParser):
    """The head's meta elements and title, and every element that could fetch or run something."""

    def __init__(self):
        super().__init__()
        self.metas, self.title, self.fetching = [], None, []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            self.metas.append(attrs)
        if tag == "title":
            self._in_title, self.title = True, ""
        if tag in ("script", "link", "iframe", "img", "object", "embed") or "src" in attrs:
            self.fetching.append(tag)

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False


def policy(page: str) -> Head:
    head = Head()
    head.feed(page)
    return head


def pages(tmp_path) -> dict[str, str]:
    documents = small_study()
    p01 = [d for d in documents if d["item"]["practice"] == "P01"]
    review_row = {
        "item_id": "P01-W1-INT-01",
        "unit_id": "u00001",
        "text": "Imran Fry",
        "pseudonym": "[Person 1]",
        "reason": "capitalised words",
        "context": "Action: [[Imran Fry]] to update",
        "resolve": "add to the register or the allow-list",
    }
    return {
        "casebook": casebook_html("P01", load_documents(write_items(tmp_path, p01))),
        "study summary": rows_to_html(summary_rows(documents), "Study summary"),
        "review queue": review_html([review_row]),
    }


def test_html_page_has_charset_policy_and_escaped_title():
    page = html_page("Casebook <P01> & more", "body{margin:0}", ["<p>text</p>"])
    head = policy(page)
    assert {"charset": "utf-8"} in head.metas
    assert {"http-equiv": "Content-Security-Policy", "content": PAGE_CSP} in head.metas
    assert head.title == "Casebook <P01> & more"
    assert "<title>Casebook &lt;P01&gt; &amp; more</title>" in page
    assert page.startswith("<!DOCTYPE html>\n") and page.endswith("</html>\n")


@pytest.mark.parametrize("name", ["casebook", "study summary", "review queue"])
def test_every_generated_page_carries_the_policy_and_fetches_nothing(tmp_path, name):
    head = policy(pages(tmp_path)[name])
    csp = [m["content"] for m in head.metas if m.get("http-equiv") == "Content-Security-Policy"]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'"]
    assert head.fetching == []


def test_no_module_writes_its_own_page_head():
    own_heads = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "files.py" and "<!doctype" in path.read_text(encoding="utf-8").lower()
    ]
    assert own_heads == []
