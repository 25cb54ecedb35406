from fieldcorpus.provenance.runrecord import begin_run, end_run


rule item_lineage:
    input:
        unpack(item_lineage_inputs),
    output:
        shareable=f"{SHAREABLE}/provenance/{{item_id}}.json",
        restricted=f"{RESTRICTED}/provenance/{{item_id}}.json",
    log:
        "logs/item_lineage/{item_id}.log",
    benchmark:
        "benchmarks/item_lineage/{item_id}.tsv"
    conda:
        # The spaCy model's version and checksum are read where detection ran.
        "../envs/nlp.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        item=item_record,
        settings=item_lineage_settings,
        snakemake_version=SNAKEMAKE_VERSION,
        zones=zone_roots_of_lineage,
    script:
        "../scripts/item_lineage.py"


rule ro_crate:
    input:
        unpack(crate_inputs),
    output:
        crate=report(
            f"{SHAREABLE}/ro-crate-metadata.json",
            caption="../report/crate.rst",
            category="Provenance",
        ),
    log:
        "logs/ro_crate.log",
    benchmark:
        "benchmarks/ro_crate.tsv"
    conda:
        "../envs/provenance.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        shareable_dir=shareable_root_of_crate,
        restricted_dir=RESTRICTED,
        settings=crate_settings,
        crate=config["provenance"],
        snakemake_version=SNAKEMAKE_VERSION,
        ledgers=all_ledgers,
    script:
        "../scripts/ro_crate.py"


# No inputs and no outputs on purpose: an audit must look at the files as they are, never
# trigger a rebuild that would hide a changed raw file or an edited output.
rule audit:
    log:
        "logs/audit.log",
    localrule: True
    conda:
        "../envs/provenance.yaml"
    threads: 1
    params:
        config=audit_config_paths,
        tsv=f"{RESTRICTED}/audit/audit.tsv",
    script:
        "../scripts/audit.py"


onstart:
    begin_run(workflow, config)


onsuccess:
    end_run("success")


onerror:
    end_run("failed")
