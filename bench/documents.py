"""Document extraction speed and memory, run by hand: `.venv/bin/python bench/documents.py`.

On the same PDFs (../shared/fixtures/pdfs, the demo's PDFs and a generated 60-page text PDF),
interleaved, best of --repeats:
  anchor   pypdfium2 plain text per page (the speed limit: no layout, no tables)
  plumber  the pipeline's pdfplumber path (extract_pdf: tables, blocks, running headers; no OCR)
  words    share of pages whose word sequence is the same from both (the fast path's condition)
then OCR pages per second on image-only pages, and each variant's peak memory in a fresh process.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

SETTINGS = {"ocr": False, "tables": True, "drop_running_headers": True}
_WORD = re.compile(r"\w+")


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
    from fieldcorpus.documents_pdf import extract_pdf

    return extract_pdf(path, "bench", SETTINGS)


def plumber_page_words(path: Path) -> list[list[str]]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        words = []
        for page in pdf.pages:
            words.append(_WORD.findall(page.extract_text() or ""))
            page.close()
    return words


def best_of(function, argument, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function(argument)
        best = min(best, time.perf_counter() - start)
    return best


def generated_pdfs(folder: Path) -> tuple[Path, Path]:
    from tests.unit import document_makers as make

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
        demo = sorted((REPO / "demo" / "fieldwork").rglob("*.pdf"))
        candidates = [p for p in [*fixtures, *demo, text_pdf] if "password" not in p.name]
        print(
            f"{'pdf':44} {'pages':>5} {'anchor p/s':>11} {'plumber p/s':>12} "
            f"{'ratio':>7} {'same words':>10}"
        )
        total = {"pages": 0, "anchor": 0.0, "plumber": 0.0, "same": 0}
        for path in candidates:
            try:
                pages = len(pypdfium2.PdfDocument(str(path)))
            except pypdfium2.PdfiumError:
                continue
            anchor = best_of(pdfium_pages, path, args.repeats)
            plumber = best_of(plumber_path, path, args.repeats)
            pdfium_words = [_WORD.findall(t) for t in pdfium_pages(path)]
            same = sum(a == b for a, b in zip(pdfium_words, plumber_page_words(path), strict=False))
            total["pages"] += pages
            total["anchor"] += anchor
            total["plumber"] += plumber
            total["same"] += same
            print(
                f"{path.name[:44]:44} {pages:5d} {pages / anchor:11.1f} {pages / plumber:12.1f} "
                f"{plumber / anchor:6.1f}x {same:4d}/{pages:<5d}"
            )
        print(
            f"{'all':44} {total['pages']:5d} {total['pages'] / total['anchor']:11.1f} "
            f"{total['pages'] / total['plumber']:12.1f} "
            f"{total['plumber'] / total['anchor']:6.1f}x {total['same']:4d}/{total['pages']:<5d}"
        )

        from fieldcorpus.documents_pdf import extract_pdf
        from fieldcorpus.ocr import ocr_engine

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
