rule inventory_item:
    input:
        raw=raw_file,
    output:
        inventory=f"{RESTRICTED}/inventory/{{practice}}/{{item_id}}.json",
    log:
        "logs/inventory_item/{practice}/{item_id}.log",
    benchmark:
        "benchmarks/inventory_item/{practice}/{item_id}.tsv"
    conda:
        "../envs/documents.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        item=item_record,
    script:
        "../scripts/inventory_item.py"
