from fieldcorpus.provenance.runrecord import begin_run, end_run


rule ro_crate:
    input:
        unpack(crate_inputs),
    output:
        crate=report(
            LAYOUT.crate,
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
        files=crate_files,
        lineage=all_item_lineage,
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
        tsv=LAYOUT.audit_tsv,
    script:
        "../scripts/audit.py"


onstart:
    begin_run(workflow, config)


onsuccess:
    end_run("success")


onerror:
    end_run("failed")
