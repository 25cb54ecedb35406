"""Document extraction words, speed and memory, run by hand: `.venv/bin/python bench/documents.py`.

Words first, measured against two independent extractors, pypdfium2 and poppler's `pdftotext`
(Debian/Ubuntu: `apt-get install poppler-utils`; without it this part says so and is skipped),
on real PDFs: ../shared/fixtures/pdfs and typeset manuals from Debian documentation packages
when installed (DEBIAN_DOCS; e.g. `apt-get install shared-mime-info libtasn1-doc bzip2
fontconfig zlib1g-dev nettle-dev`). Per file:
  agree    share of the words either extractor finds that both find (how much they agree)
  recall   share of the words both find that our units contain (glued or lost words lower it),
           leaving out the letters the references split off words we read whole ("joined")
  raw      the same share with those letters counted as missed
  unknown  share of our words that neither finds (glued words show up here)
  neither  of those, the share that is no dictionary word either (/usr/share/dict/words, e.g.
           `apt-get install wbritish`)
  joined   share of our words that a reference spells as a run of one- or two-character pieces
           ("l e a s t", "M ul ti pl y": code listings whose letters are set one at a time), and
           of those the share that are dictionary words; each file's joined words are listed,
           so that what the references and we disagree on can be read and judged, not hidden
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
import difflib
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
MAX_JOINED_PIECES = 40
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
    return Counter(word.lower() for word in _LETTERS.findall(dehyphenated(text)))


def dehyphenated(text: str) -> str:
    return _LINE_END_HYPHEN.sub("", text)


def split_apart(text: str, ours: Counter) -> tuple[Counter, Counter]:
    """A reference's words less the runs of one- or two-letter pieces, apart by white space,
    that spell a word of ours of three letters or more ("l e a s t" or "M ul ti pl y" where we
    read "least", "Multiply"), and those words of ours."""
    pieces = dehyphenated(text).split()
    kept: Counter = Counter()
    joined: Counter = Counter()
    index = 0
    while index < len(pieces):
        for end in range(min(len(pieces), index + MAX_JOINED_PIECES), index + 1, -1):
            run = pieces[index:end]
            word = "".join(run).lower()
            if all(len(p) <= 2 and p.isalpha() for p in run) and len(word) >= 3 and word in ours:
                joined[word] += 1
                index = end
                break
        else:
            kept.update(word.lower() for word in _LETTERS.findall(pieces[index]))
            index += 1
    return kept, joined


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
        f"{'pdf':44} {'pages':>5} {'agree':>6} {'recall':>7} {'raw':>7} {'unknown':>8} "
        f"{'neither':>8} {'joined':>7} {'in dict':>7} {'words':>7}"
    )
    listings = []
    for path in paths:
        pdfium_says, poppler_says = "\n".join(pdfium_pages(path)), poppler_text(path)
        pdfium, poppler = reference_words(pdfium_says), reference_words(poppler_says)
        result = extract_pdf(path, "bench", {**SETTINGS, "drop_running_headers": False})
        ours = reference_words("\n".join(unit["text"] for unit in result["units"]))
        both = pdfium & poppler
        pdfium_kept, pdfium_joined = split_apart(pdfium_says, ours)
        poppler_kept, poppler_joined = split_apart(poppler_says, ours)
        both_kept = pdfium_kept & poppler_kept
        joined = pdfium_joined | poppler_joined
        known = set(pdfium) | set(poppler)
        agree = sum(both.values()) / max(1, sum((pdfium | poppler).values()))
        recall = sum((both_kept & ours).values()) / max(1, sum(both_kept.values()))
        raw = sum((both & ours).values()) / max(1, sum(both.values()))
        total = max(1, sum(ours.values()))
        unknown = {word: n for word, n in ours.items() if word not in known}
        joined_total = sum(min(n, ours[word]) for word, n in joined.items())
        if words is not None:
            neither = f"{sum(n for w, n in unknown.items() if w not in words) / total:8.2%}"
            in_dict = sum(min(n, ours[w]) for w, n in joined.items() if w in words)
            in_dict = f"{in_dict / max(1, joined_total):7.0%}"
        else:
            neither, in_dict = f"{'':8}", f"{'':7}"
        print(
            f"{path.name[:44]:44} {result['source']['pages']:5d} {agree:6.1%} {recall:7.1%} "
            f"{raw:7.1%} {sum(unknown.values()) / total:8.2%} {neither} "
            f"{joined_total / total:7.2%} {in_dict} {sum(ours.values()):7d}"
        )
        if joined:
            listings.append((path.name, joined))
    for name, joined in listings:
        shown = ", ".join(
            f"{word}{'' if words is None or word in words else '*'} {n}"
            for word, n in joined.most_common(12)
        )
        print(f"joined in {name} (* no dictionary word): {shown}")


SENTENCE = (
    "Please bring your inhaler and spacer to the asthma review, and tell the nurse if you have "
    "used your reliever more than three times a week."
)
LISTING = "// both occupy the least significant bits of the product; return sizeof(buffer);"


def spacing_pdfs(folder: Path) -> list[tuple[str, Path, str]]:
    """Made PDFs whose text is known, each hard for word boundaries or reading order in its own
    way: (name, file, the text a reader sees)."""
    from tests.support import document_makers as make

    columns = [
        ["The asthma clinic runs every Tuesday morning in the treatment room with the nurse."],
        ["Repeat prescriptions can be ordered through the practice website or the NHS App."],
    ]
    made = [
        ("tight 1.6-2.9 pt", make.tight_spacing_pdf, SENTENCE, [1.6, 2.9, 2.2, 1.8]),
        ("tight 0.9-1.3 pt", make.tight_spacing_pdf, SENTENCE, [0.9, 1.3, 1.1]),
        ("listing 1.5/6 pt", make.letter_spaced_pdf, LISTING, 1.5, 6.0),
        ("listing 0.6/3 pt", make.letter_spaced_pdf, LISTING, 0.6, 3.0),
        ("listing 2.2/7 pt", make.letter_spaced_pdf, LISTING, 2.2, 7.0),
        ("touching words", make.touching_words_pdf, SENTENCE),
    ]
    found = []
    for number, (name, maker, text, *gaps) in enumerate(made):
        found.append((name, maker(folder / f"spacing-{number}.pdf", text, *gaps), text))
    leaflet = make.two_column_pdf(folder / "columns.pdf", "Asthma care", columns, SENTENCE)
    found.append(("two columns", leaflet, " ".join(["Asthma care", *sum(columns, []), SENTENCE])))
    return found


def in_order(expected: str, found: str) -> float:
    """Share of the expected words found in the same order."""
    wanted, got = reference_tokens(expected), reference_tokens(found)
    matcher = difflib.SequenceMatcher(None, wanted, got, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(1, len(wanted))


def reference_tokens(text: str) -> list[str]:
    return [word.lower() for word in _LETTERS.findall(dehyphenated(text))]


def spacing_agreement(made: list[tuple[str, Path, str]]) -> None:
    """Per made PDF, the share of its words each extractor gets, in order."""
    from fieldcorpus.documents.pdf import extract_pdf

    poppler = shutil.which("pdftotext") is not None
    print(f"{'made pdf (words in order)':44} {'ours':>7} {'pdfium':>7} {'poppler':>8}")
    for name, path, text in made:
        ours = "\n".join(u["text"] for u in extract_pdf(path, "bench", SETTINGS)["units"])
        pdfium = in_order(text, "\n".join(pdfium_pages(path)))
        other = f"{in_order(text, poppler_text(path)):8.1%}" if poppler else f"{'':8}"
        print(f"{name:44} {in_order(text, ours):7.1%} {pdfium:7.1%} {other}")


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
    from fieldcorpus.documents import pdf  # noqa: F401

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
        spacing_agreement(spacing_pdfs(Path(folder)))
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
