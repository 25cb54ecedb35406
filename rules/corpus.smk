rule assemble_practice_corpus:
    input:
        item_units=practice_shareable_items,
    output:
        parquet=f"{SHAREABLE}/corpus/{{practice}}/corpus.parquet",
        csv=f"{SHAREABLE}/corpus/{{practice}}/corpus.csv",
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
    script:
        "../scripts/assemble_corpus.py"


rule assemble_study_corpus:
    input:
        item_units=all_shareable_json,
    output:
        parquet=f"{SHAREABLE}/corpus/all/corpus.parquet",
        csv=f"{SHAREABLE}/corpus/all/corpus.csv",
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
        "../scripts/assemble_corpus.py"
