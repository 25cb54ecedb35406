rule detect_entities:
    input:
        units=item_units,
        register=config["register"],
        allow_list=config["allow_list"],
    output:
        detections=f"{RESTRICTED}/entities/{{practice}}/{{item_id}}.json",
    log:
        "logs/detect_entities/{practice}/{item_id}.log",
    benchmark:
        "benchmarks/detect_entities/{practice}/{item_id}.tsv"
    conda:
        "../envs/nlp.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    params:
        settings=config["pseudonymisation"],
        models_dir=config["transcription"].get("models_dir", "models"),
    script:
        "../scripts/detect_entities.py"


# One small file standing for all of a practice's detections: update_ledger depends on it, not on
# every detection file, so each of the practice's items that needs the ledger costs Snakemake a
# constant, not a practice-sized, check (planning stays linear in the number of items).
rule index_practice_detections:
    input:
        detections=practice_detections,
    output:
        index=f"{RESTRICTED}/entities/{{practice}}.index.tsv",
    log:
        "logs/index_practice_detections/{practice}.log",
    conda:
        "../envs/nlp.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/index_practice_detections.py"


# The ledger itself is a param, not an output: Snakemake deletes outputs before rerunning a job,
# and the ledger must only ever grow. The state file records the ledger version it left behind.
# Detections and units are read through the index (an input), so they are params here.
rule update_ledger:
    input:
        detection_index=f"{RESTRICTED}/entities/{{practice}}.index.tsv",
        register=config["register"],
    output:
        state=f"{RESTRICTED}/ledger/{{practice}}.state.json",
        review=f"{RESTRICTED}/review/{{practice}}.tsv",
        review_html=f"{RESTRICTED}/review/{{practice}}.html",
    log:
        "logs/update_ledger/{practice}.log",
    conda:
        "../envs/nlp.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        ledger=practice_ledger,
        detections=practice_detections,
        units=practice_units,
        review_threshold=config["pseudonymisation"]["review_threshold"],
    script:
        "../scripts/update_ledger.py"


# The gate's hits file is a param, not an output, so that a withheld item keeps its record;
# files made from the item's earlier text are params too: a withheld item's are removed.
rule pseudonymise_item:
    input:
        units=item_units,
        detections=f"{RESTRICTED}/entities/{{practice}}/{{item_id}}.json",
        ledger_state=f"{RESTRICTED}/ledger/{{practice}}.state.json",
        allow_list=config["allow_list"],
    output:
        units=f"{SHAREABLE}/items/{{practice}}/{{item_id}}.json",
        text=f"{SHAREABLE}/items/{{practice}}/{{item_id}}.txt",
        anonymisation_log=f"{RESTRICTED}/anonymisation-log/{{practice}}/{{item_id}}.tsv",
    log:
        "logs/pseudonymise_item/{practice}/{item_id}.log",
    benchmark:
        "benchmarks/pseudonymise_item/{practice}/{item_id}.tsv"
    conda:
        "../envs/nlp.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        ledger=practice_ledger,
        text_settings=shareable_text_settings,
        gate_hits=gate_hits_path,
        made_from_item=files_made_from_item,
        settings=generalise_settings,
    script:
        "../scripts/pseudonymise_item.py"


rule leak_check:
    input:
        shareable_items=all_shareable_items,
        shareable_audio=all_shareable_audio,
        corpora=all_corpora,
        lineage=all_item_lineage,
        ledger_states=all_ledger_states,
        register=config["register"],
        allow_list=config["allow_list"],
    output:
        report=f"{SHAREABLE}/leak-check.tsv",
    log:
        "logs/leak_check.log",
    benchmark:
        "benchmarks/leak_check.tsv"
    conda:
        "../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        shareable_dir=shareable_root_of_report,
        ledgers=all_ledgers,
        item_ids=manifest_item_ids,
        gate_hits=f"{RESTRICTED}/review/gate/shareable-files.tsv",
    script:
        "../scripts/leak_check.py"


# Indirect identifiers in what the practice shares (README: "Re-identification risk"); restricted.
rule risk_report:
    input:
        shared_items=practice_shareable_items,
        anonymisation_logs=practice_anonymisation_logs,
        ledger_state=f"{RESTRICTED}/ledger/{{practice}}.state.json",
        register=config["register"],
    output:
        report=f"{RESTRICTED}/risk/{{practice}}.tsv",
        report_html=f"{RESTRICTED}/risk/{{practice}}.html",
        review=f"{RESTRICTED}/review/risk/{{practice}}.tsv",
    log:
        "logs/risk_report/{practice}.log",
    benchmark:
        "benchmarks/risk_report/{practice}.tsv"
    conda:
        "../envs/nlp.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        manifest_rows=practice_item_records,
        ledger=practice_ledger,
        settings=config["pseudonymisation"],
    script:
        "../scripts/risk_report.py"
