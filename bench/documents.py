"""Document extraction words, speed and memory, run by hand: `.venv/bin/python bench/documents.py`.

Words first, measured against two independent extractors, pypdfium2 and poppler's `pdftotext`
(Debian/Ubuntu: `apt-get install poppler-utils`; without it this part says so and is skipped),
on real PDFs: ../shared/fixtures/pdfs and typeset manuals from Debian documentation packages
when installed (DEBIAN_DOCS; e.g. `apt-get install shared-mime-info libtasn1-doc bzip2
fontconfig zlib1g-dev nettle-dev`). Per file:
  agree    share of the words either extractor finds that both find (how much they agree)
  recall   share of the words both find that our units contain (glued or lost words lower it)
  unknown  share of our words that neither finds (glued words show up here)
  neither  of those, the share that is no dictionary word either (/usr/share/dict/words, e.g.
           `apt-get install wbritish`): where we join letters both references leave apart (code
           listings set one character at a time) our words are dictionary words, glued ones not
Both references are de-hyphenated at line ends as our units are; running headers are kept for
this part (dropping them is a choice, not a lost word).

Then speed on the same PDFs plus the demo's PDFs and a generated 60-page text PDF,
interleaved, best of --repeats:
  anchor   pypdfium2 plain text per page (the speed limit: no layout, no tables)
  plumber  the pipeline's pdfplumber path (extract_pdf: tables, blocks, running headers; no OCR)
then OCR pages per second on image-only pages, and each variant's peak memory in a fresh process.
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

SETTINGS = {"ocr": False, "tables": True, "drop_running_headers": True}
_LETTERS = re.compile(r"[^\W_]+")
_LINE_END_HYPHEN = re.compile(r"(?<=\w)-[ \t]*\r?\n\s*(?=[a-z])")
# Typeset documents from Debian documentation packages (pdfTeX, LaTeX, Apache FOP), read from
# where the packages install them; none is part of the project.
DEBIAN_DOCS = [
    "/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf",
    "/usr/share/doc/libtasn1-doc/libtasn1.pdf",
    "/usr/share/doc/fontconfig/fontconfig-user.pdf.gz",
    "/usr/share/doc/bzip2/manual.pdf.gz",
    "/usr/share/doc/zlib1g-dev/crc-doc.1.0.pdf.gz",
    "/usr/share/doc/nettle-dev/nettle.pdf.gz",
]


def debian_docs(folder: Path) -> list[Path]:
    """The installed DEBIAN_DOCS, unpacked into `folder` where Debian gzips them."""
    found = []
    for name in DEBIAN_DOCS:
        path = Path(name)
        if not path.exists():
            print(f"not installed, skipped: {name}")
        elif path.suffix == ".gz":
            target = folder / f"{path.parent.name}-{path.stem}"
            target.write_bytes(gzip.decompress(path.read_bytes()))
            found.append(target)
        else:
            found.append(path)
    return found


def reference_words(text: str) -> Counter:
    return Counter(word.lower() for word in _LETTERS.findall(_LINE_END_HYPHEN.sub("", text)))


def poppler_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def dictionary() -> set[str] | None:
    path = Path("/usr/share/dict/words")
    if not path.exists():
        print("no /usr/share/dict/words (apt-get install wbritish): column 'neither' left empty")
        return None
    return {word.lower() for word in path.read_text(errors="replace").split()}


def word_agreement(paths: list[Path]) -> None:
    """Per file, our units' words against the words pypdfium2 and pdftotext both find."""
    from fieldcorpus.documents.pdf import extract_pdf

    if shutil.which("pdftotext") is None:
        print("pdftotext (poppler-utils) is MISSING: word agreement skipped")
        return
    words = dictionary()
    print(
        f"{'pdf':44} {'pages':>5} {'agree':>6} {'recall':>7} {'unknown':>8} {'neither':>8} "
        f"{'words':>7}"
    )
    for path in paths:
        pdfium = reference_words("\n".join(pdfium_pages(path)))
        poppler = reference_words(poppler_text(path))
        both = pdfium & poppler
        result = extract_pdf(path, "bench", {**SETTINGS, "drop_running_headers": False})
        ours = reference_words("\n".join(unit["text"] for unit in result["units"]))
        known = set(pdfium) | set(poppler)
        agree = sum(both.values()) / max(1, sum((pdfium | poppler).values()))
        recall = sum((both & ours).values()) / max(1, sum(both.values()))
        total = max(1, sum(ours.values()))
        unknown = {word: n for word, n in ours.items() if word not in known}
        neither = (
            f"{sum(n for w, n in unknown.items() if w not in words) / total:8.2%}"
            if words is not None
            else f"{'':8}"
        )
        print(
            f"{path.name[:44]:44} {result['source']['pages']:5d} {agree:6.1%} {recall:7.1%} "
            f"{sum(unknown.values()) / total:8.2%} {neither} {sum(ours.values()):7d}"
        )


def pdfium_pages(path: Path) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    texts = []
    try:
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
    finally:
        document.close()
    return texts


def plumber_path(path: Path) -> dict:
    from fieldcorpus.documents.pdf import extract_pdf

    return extract_pdf(path, "bench", SETTINGS)


def best_of(function, argument, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function(argument)
        best = min(best, time.perf_counter() - start)
    return best


def generated_pdfs(folder: Path) -> tuple[Path, Path]:
    from tests.support import document_makers as make

    topics = ["recall", "inhaler technique", "peak flow", "action plans", "spacers", "reviews"]
    pages = [
        [
            f"Minute {n}. The practice discussed {topics[n % 6]} and agreed the next steps for "
            f"the asthma clinic, including who writes to patients and when. " * 3,
            f"Item {n} closed; {topics[(n + 1) % 6]} returns to the agenda next month.",
        ]
        for n in range(1, 61)
    ]
    text_pdf = make.pdf_document(
        folder / "generated-60-pages.pdf",
        pages,
        header="Practice meeting minutes",
        footer="Page {page} of {pages}",
        tables={n: [["Action", "Owner"], ["Recall list", "Reception"]] for n in range(1, 61, 5)},
    )
    scan = make.image_only_pdf(
        folder / "scan.pdf",
        ["Asthma clinic notice", "The clinic runs on Tuesday mornings.", "Bring your inhalers."],
    )
    return text_pdf, scan


def child(variant: str, paths: list[str]) -> None:
    """Run one variant over the files in this fresh process; print its peak RSS growth."""
    import pdfplumber  # noqa: F401  (imports count toward the baseline, not the variant)
    import pypdfium2  # noqa: F401
    from fieldcorpus import documents_pdf  # noqa: F401

    baseline = peak_mib()
    function = {"anchor": pdfium_pages, "plumber": plumber_path}[variant]
    for path in paths:
        function(Path(path))
    print(peak_mib() - baseline, peak_mib())


def peak_mib() -> int:
    """This process's peak RSS (VmHWM starts afresh at exec; ru_maxrss keeps the parent's)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1:])
        return
    import pypdfium2

    with tempfile.TemporaryDirectory() as folder:
        text_pdf, scan = generated_pdfs(Path(folder))
        fixtures = sorted((REPO.parent / "shared" / "fixtures" / "pdfs").glob("*.pdf"))
        real = [p for p in [*fixtures, *debian_docs(Path(folder))] if "password" not in p.name]
        word_agreement(real)
        print()
        demo = sorted((REPO / "demo" / "fieldwork").rglob("*.pdf"))
        candidates = [*real, *demo, text_pdf]
        print(f"{'pdf':44} {'pages':>5} {'anchor p/s':>11} {'plumber p/s':>12} {'ratio':>7}")
        total = {"pages": 0, "anchor": 0.0, "plumber": 0.0}
        for path in candidates:
            try:
                pages = len(pypdfium2.PdfDocument(str(path)))
            except pypdfium2.PdfiumError:
                continue
            anchor = best_of(pdfium_pages, path, args.repeats)
            plumber = best_of(plumber_path, path, args.repeats)
            total["pages"] += pages
            total["anchor"] += anchor
            total["plumber"] += plumber
            print(
                f"{path.name[:44]:44} {pages:5d} {pages / anchor:11.1f} {pages / plumber:12.1f} "
                f"{plumber / anchor:6.1f}x"
            )
        print(
            f"{'all':44} {total['pages']:5d} {total['pages'] / total['anchor']:11.1f} "
            f"{total['pages'] / total['plumber']:12.1f} "
            f"{total['plumber'] / total['anchor']:6.1f}x"
        )

        from fieldcorpus.documents.ocr import ocr_engine
        from fieldcorpus.documents.pdf import extract_pdf

        ocr_engine(1)  # model loading is paid once per job, not per page
        ocr_settings = {"ocr": True, "ocr_scale": 2.0, "threads": 1}
        start = time.perf_counter()
        runs = max(1, args.repeats)
        for _ in range(runs):
            extract_pdf(scan, "bench", ocr_settings)
        ocr_seconds = (time.perf_counter() - start) / runs
        print(
            f"\nOCR (RapidOCR, 1 thread, scale 2.0): {1 / ocr_seconds:.2f} pages/s "
            f"({ocr_seconds:.2f} s per image-only page); "
            f"anchor is {ocr_seconds * total['pages'] / total['anchor']:.0f}x faster per page"
        )

        print("\npeak memory over all PDFs above, fresh process per variant (MiB):")
        print(f"{'variant':10} {'growth':>7} {'peak RSS':>9}")
        for variant in ("anchor", "plumber"):
            measured = subprocess.run(
                [sys.executable, __file__, "--child", variant, *map(str, candidates)],
                capture_output=True,
                text=True,
                check=True,
            )
            growth, peak = measured.stdout.split()
            print(f"{variant:10} {growth:>7} {peak:>9}")


if __name__ == "__main__":
    main()
