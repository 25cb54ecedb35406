rule extract_document:
    input:
        document=document_file,
        inventory=f"{RESTRICTED}/inventory/{{practice}}/{{item_id}}.json",
    output:
        text=f"{RESTRICTED}/text/{{practice}}/{{item_id}}.json",
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
