"""What the pipeline costs beyond its own compute.

Times a from-scratch run of the demo (`snakemake --cores 2` on a temporary copy), then, right
after and in one process, the same job functions the rules call (fieldcorpus.<stage>.jobs), for
every demo item, with every model loaded once (Whisper, the speaker encoder, OCR and spaCy stay
loaded between calls), on paths from the same pipeline.layout and pipeline.targets. Prints the
two side by side, the in-process time per stage, and the ratio: what job start-up, model loads
per job, Snakemake's planning and file checks add. Not counted in-process: the RO-Crate and the
run records (a few hundred milliseconds).

    .venv/bin/python bench/overhead.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fieldcorpus.config import load_config  # noqa: E402
from fieldcorpus.corpus import jobs as corpus_jobs  # noqa: E402
from fieldcorpus.deid import jobs as deid_jobs  # noqa: E402
from fieldcorpus.documents.jobs import extract_document  # noqa: E402
from fieldcorpus.files import make_restricted_dirs  # noqa: E402
from fieldcorpus.intake.staging import link_raw_items, raw_link_path  # noqa: E402
from fieldcorpus.manifest import load_manifest  # noqa: E402
from fieldcorpus.pipeline.layout import STUDY, Layout  # noqa: E402
from fieldcorpus.pipeline.targets import Targets  # noqa: E402
from fieldcorpus.transcribe.jobs import (  # noqa: E402
    render_shareable_transcript,
    transcribe_recording,
)


def workdir(root: Path) -> Path:
    """A working directory like the tests': demo/ (without its reference texts) and config/."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "demo", root / "demo", ignore=shutil.ignore_patterns("reference"))
    shutil.copytree(REPO / "config", root / "config")
    return root


def pipeline_run(root: Path) -> float:
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(root),
        "--cores",
        "2",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO / "scripts")}
    start = time.perf_counter()
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"the demo run failed:\n{result.stderr[-3000:]}")
    return wall


def in_process(root: Path) -> dict[str, float]:
    """Seconds per stage of the jobs' own functions, run in this process."""
    config = load_config(root, "config/config.yaml", [])
    manifest = load_manifest(config["manifest"], config["fieldwork_dir"])
    layout = Layout.from_config(config, root)
    targets = Targets(manifest, layout, config)
    make_restricted_dirs(layout.restricted)
    link_raw_items(manifest, config["fieldwork_dir"], layout.restricted)
    models_dir = config["transcription"].get("models_dir")
    seconds: dict[str, float] = defaultdict(float)

    def timed(stage: str, function, **arguments) -> None:
        start = time.perf_counter()
        function(**arguments)
        seconds[stage] += time.perf_counter() - start

    for item in targets.items:
        raw = str(raw_link_path(layout.restricted, item))
        p, i = item.practice, item.item_id
        if item.is_recording:
            timed(
                "transcription",
                transcribe_recording,
                raw=raw,
                inventory=layout.inventory(p, i),
                output=layout.transcript(p, i),
                formats=targets.restricted_formats(p, i),
                item=targets.record(item),
                settings=config["transcription"],
                threads=config["transcription"].get("threads", 1),
                models_dir=models_dir,
            )
        else:
            timed(
                "documents",
                extract_document,
                raw=raw,
                inventory=layout.inventory(p, i),
                output=layout.document_text(p, i),
                item=targets.record(item),
                settings=config["documents"],
            )
    for practice in targets.by_practice:
        timed(
            "detection and ledger",
            deid_jobs.detect_entities,
            units=targets.practice_units(practice),
            detections=targets.practice_detections(practice),
            register=config["register"],
            allow_list=config["allow_list"],
            ledger=layout.ledger(practice),
            state=layout.ledger_state(practice),
            review=layout.review(practice),
            review_html=layout.review(practice, "html"),
            settings=config["pseudonymisation"],
            models_dir=models_dir,
        )
    for item in targets.items:
        p, i = item.practice, item.item_id
        timed(
            "pseudonymisation",
            deid_jobs.pseudonymise_item,
            units=targets.units(item),
            detections=layout.detections(p, i),
            ledger=layout.ledger(p),
            ledger_state=layout.ledger_state(p),
            allow_list=config["allow_list"],
            output_json=layout.shareable_item(p, i),
            output_text=layout.shareable_item(p, i, "txt"),
            anonymisation_log=layout.anonymisation_log(p, i),
            gate_hits=layout.gate_hits(p, i),
            text_settings=targets.text_settings(item),
            made_from_item=targets.files_made_from_item(item),
        )
        if item.is_recording:
            timed(
                "pseudonymisation",
                render_shareable_transcript,
                units=layout.shareable_item(p, i),
                outputs=targets.shareable_formats(p, i),
                settings=config["transcription"],
            )
    for group in [*targets.by_practice, STUDY]:
        items = (
            targets.all_shareable_json()
            if group == STUDY
            else targets.practice_shareable_json(group)
        )
        corpus = {
            "items": items,
            "parquet": layout.corpus(group, "corpus.parquet"),
            "csv": layout.corpus(group, "corpus.csv"),
            "settings": config["corpus"],
            "jsonl": layout.corpus(group, "corpus.jsonl"),
            "dictionary": layout.corpus(group, "data-dictionary.md"),
        }
        if group == STUDY:
            timed("corpus", corpus_jobs.assemble_study_corpus, **corpus)
        else:
            risk = {
                "practice": group,
                "items": targets.practice_item_records(group),
                "anonymisation_logs": targets.practice_anonymisation_logs(group),
                "ledger": layout.ledger(group),
                "register": config["register"],
                "settings": config["pseudonymisation"],
                "output": layout.risk(group),
                "output_html": layout.risk(group, "html"),
                "review": layout.risk_review(group),
            }
            timed("corpus", corpus_jobs.assemble_practice_corpus, risk=risk, **corpus)
        docx = targets.docx(targets.items if group == STUDY else targets.by_practice[group])
        timed(
            "corpus",
            corpus_jobs.export_practice_qdpx,
            items=items,
            docx=docx,
            output=layout.qdpx(group),
            name=f"{config['corpus']['qdpx_project_name']} {group}",
        )
        if group != STUDY:
            timed(
                "corpus",
                corpus_jobs.build_casebook,
                items=items,
                practice=group,
                markdown=layout.casebook(group, "md"),
                html=layout.casebook(group, "html"),
            )
            timed(
                "corpus",
                corpus_jobs.summarise_practice,
                items=items,
                practice=group,
                tsv=layout.summary(group, "summary.tsv"),
                png=layout.summary(group, "timeline.png"),
                dpi=config["corpus"]["timeline_dpi"],
            )
    timed(
        "corpus",
        corpus_jobs.summarise_study,
        practice_tsvs=targets.all_practice_summaries(),
        tsv=layout.summary(STUDY, "summary.tsv"),
        html=layout.summary(STUDY, "summary.html"),
    )
    timed(
        "leak check and lineage",
        deid_jobs.leak_check,
        shareable_dir=layout.shareable,
        ledgers=targets.all_ledgers(),
        register=config["register"],
        allow_list=config["allow_list"],
        manifest_ids=sorted(manifest.items),
        output=layout.leak_check,
        gate_hits=layout.shareable_gate_hits,
        lineage=targets.lineage_targets(),
        lineage_shared={
            "register": config["register"],
            "allow_list": config["allow_list"],
            "snakemake_version": "-",
            "restricted_dir": layout.restricted,
            "shareable_dir": layout.shareable,
        },
    )
    return dict(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep both working directories under this folder")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="overhead-", dir=args.keep))
    os.umask(0o077)
    pipeline = pipeline_run(workdir(base / "pipeline"))
    stages = in_process(workdir(base / "in-process"))
    compute = sum(stages.values())
    print(f"{'from-scratch demo run (snakemake --cores 2)':<48} {pipeline:>8.1f} s")
    print(f"{'the same job functions in one process':<48} {compute:>8.1f} s")
    for stage, value in stages.items():
        print(f"  {stage:<46} {value:>8.1f} s")
    print(f"{'ratio (pipeline / in-process)':<48} {pipeline / compute:>8.2f} x  (goal <= 1.3)")
    if args.keep is None:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
