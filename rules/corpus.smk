# The practice's corpus, and its re-identification risk report (restricted; README:
# "Re-identification risk"), which reads the same shared items.
rule assemble_practice_corpus:
    input:
        item_units=practice_shareable_items,
        anonymisation_logs=practice_anonymisation_logs,
        ledger_state=LAYOUT.ledger_state(),
        register=config["register"],
    output:
        parquet=LAYOUT.corpus(name="corpus.parquet"),
        csv=LAYOUT.corpus(name="corpus.csv"),
        jsonl=LAYOUT.corpus(name="corpus.jsonl"),
        dictionary=LAYOUT.corpus(name="data-dictionary.md"),
        risk=LAYOUT.risk(),
        risk_html=LAYOUT.risk(ext="html"),
        risk_review=LAYOUT.risk_review(),
    log:
        "logs/assemble_practice_corpus/{practice}.log",
    benchmark:
        "benchmarks/assemble_practice_corpus/{practice}.tsv"
    conda:
        "../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        settings=config["corpus"],
        manifest_rows=practice_item_records,
        ledger=practice_ledger,
        pseudonymisation=config["pseudonymisation"],
    script:
        "../scripts/assemble_practice_corpus.py"


rule assemble_study_corpus:
    input:
        item_units=all_shareable_json,
    output:
        parquet=LAYOUT.corpus(STUDY, "corpus.parquet"),
        csv=LAYOUT.corpus(STUDY, "corpus.csv"),
        jsonl=LAYOUT.corpus(STUDY, "corpus.jsonl"),
        dictionary=LAYOUT.corpus(STUDY, "data-dictionary.md"),
    log:
        "logs/assemble_study_corpus.log",
    benchmark:
        "benchmarks/assemble_study_corpus.tsv"
    conda:
        "../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=config["corpus"],
    script:
        "../scripts/assemble_study_corpus.py"


rule build_casebook:
    input:
        item_units=practice_shareable_items,
    output:
        markdown=LAYOUT.casebook(ext="md"),
        html=LAYOUT.casebook(ext="html"),
    log:
        "logs/build_casebook/{practice}.log",
    benchmark:
        "benchmarks/build_casebook/{practice}.tsv"
    conda:
        "../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/build_casebook.py"


# Sources are the shareable items, and the redacted audio where config `audio` opts in.
rule export_practice_qdpx:
    input:
        item_units=practice_shareable_items,
        docx=practice_item_docx,
        audio=practice_shareable_audio,
    output:
        qdpx=LAYOUT.qdpx(),
    log:
        "logs/export_practice_qdpx/{practice}.log",
    benchmark:
        "benchmarks/export_practice_qdpx/{practice}.tsv"
    conda:
        "../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        name=practice_qdpx_name,
    script:
        "../scripts/export_practice_qdpx.py"


rule export_study_qdpx:
    input:
        item_units=all_shareable_json,
        docx=all_item_docx,
        audio=all_shareable_audio,
    output:
        qdpx=LAYOUT.qdpx(STUDY),
    log:
        "logs/export_study_qdpx.log",
    benchmark:
        "benchmarks/export_study_qdpx.tsv"
    conda:
        "../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        name=f"{config['corpus']['qdpx_project_name']} all practices",
    script:
        "../scripts/export_study_qdpx.py"


rule summarise_practice:
    input:
        item_units=practice_shareable_items,
    output:
        tsv=LAYOUT.summary(name="summary.tsv"),
        timeline=report(
            LAYOUT.summary(name="timeline.png"),
            caption="../report/timeline.rst",
            category="Timelines",
            labels={"practice": "{practice}"},
        ),
    log:
        "logs/summarise_practice/{practice}.log",
    benchmark:
        "benchmarks/summarise_practice/{practice}.tsv"
    conda:
        "../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        dpi=config["corpus"]["timeline_dpi"],
    script:
        "../scripts/summarise_practice.py"


rule summarise_study:
    input:
        practice_summaries=all_practice_summaries,
    output:
        tsv=report(
            LAYOUT.summary(STUDY, "summary.tsv"),
            caption="../report/summary-tsv.rst",
            category="Summaries",
            labels={"table": "practice × wave × kind (TSV)"},
        ),
        html=report(
            LAYOUT.summary(STUDY, "summary.html"),
            caption="../report/summary.rst",
            category="Summaries",
            labels={"table": "practice × wave × kind"},
        ),
    log:
        "logs/summarise_study.log",
    benchmark:
        "benchmarks/summarise_study.tsv"
    conda:
        "../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/summarise_study.py"
