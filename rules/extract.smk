# One job per document: inventory (checksum, media facts), then its text units.
rule extract_document:
    input:
        document=document_file,
    output:
        text=LAYOUT.document_text(),
        inventory=LAYOUT.inventory(),
    log:
        "logs/extract_document/{practice}/{item_id}.log",
    benchmark:
        "benchmarks/extract_document/{practice}/{item_id}.tsv"
    conda:
        "../envs/documents.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        item=item_record,
        settings=config["documents"],
    script:
        "../scripts/extract_document.py"
