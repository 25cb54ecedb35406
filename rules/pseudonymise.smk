# One job per practice: detections of its items (each taken from the per-item detection cache
# while its text, the register, allow-list, settings, model and code are unchanged, so a new
# wave reads only its new items), then its ledger. The ledger itself is a param, not an output:
# Snakemake deletes outputs before rerunning a job, and the ledger must only ever grow. So are
# the cache files, which must outlive a rerun. The state file records the ledger version and
# each item's detections.
rule detect_entities:
    input:
        units=practice_units,
        register=config["register"],
        allow_list=config["allow_list"],
    output:
        state=LAYOUT.ledger_state(),
        review=LAYOUT.review(),
        review_html=LAYOUT.review(ext="html"),
    log:
        "logs/detect_entities/{practice}.log",
    benchmark:
        "benchmarks/detect_entities/{practice}.tsv"
    conda:
        "../envs/nlp.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=60,
    params:
        detections=practice_detections,
        ledger=LAYOUT.ledger(),
        settings=config["pseudonymisation"],
        models_dir=config["transcription"].get("models_dir", "models"),
    script:
        "../scripts/detect_entities.py"


# The gate's hits file is a param, not an output, so that a withheld item keeps its record;
# files made from the item's earlier text are params too: a withheld item's are removed.
rule pseudonymise_item:
    input:
        units=item_units,
        ledger_state=LAYOUT.ledger_state(),
        allow_list=config["allow_list"],
    output:
        units=LAYOUT.shareable_item(),
        text=LAYOUT.shareable_item(ext="txt"),
        anonymisation_log=LAYOUT.anonymisation_log(),
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
        detections=LAYOUT.detections(),
        ledger=LAYOUT.ledger(),
        text_settings=shareable_text_settings,
        gate_hits=LAYOUT.gate_hits(),
        made_from_item=files_made_from_item,
        settings=generalise_settings,
    script:
        "../scripts/pseudonymise_item.py"


# Every item's lineage records are written here, once all of its shareable files exist (its
# formats and redacted audio included), and then scanned with everything else. They are two
# folders, not one output per record: Snakemake keeps a metadata record per output holding the
# job's whole input list, which made 2,000 items 4,000 records of 3.6 MB each to read per run.
rule leak_check:
    input:
        shareable=leak_check_inputs,
        ledger_states=all_ledger_states,
        register=config["register"],
        allow_list=config["allow_list"],
    output:
        report=LAYOUT.leak_check,
        lineage=directory(LAYOUT.lineage_dir),
        restricted_lineage=directory(LAYOUT.restricted_lineage_dir),
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
        gate_hits=LAYOUT.shareable_gate_hits,
        lineage=lineage_targets,
        lineage_shared=lineage_shared,
    script:
        "../scripts/leak_check.py"
