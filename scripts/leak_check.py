from fieldcorpus.deid.jobs import leak_check
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    leak_check,
    shareable_dir=snakemake.params.shareable_dir,
    ledgers=list(snakemake.params.ledgers),
    register=snakemake.input.register,
    allow_list=snakemake.input.allow_list,
    manifest_ids=list(snakemake.params.item_ids),
    output=snakemake.output.report,
    gate_hits=snakemake.params.gate_hits,
    lineage=list(snakemake.params.lineage),
    lineage_shared=dict(snakemake.params.lineage_shared),
    lineage_dirs=(snakemake.output.lineage, snakemake.output.restricted_lineage),
)
