from fieldcorpus.pipeline.rulescript import run_rule
from fieldcorpus.provenance.jobs import audit

run_rule(
    snakemake,
    audit,
    config=dict(snakemake.params.config),
    output_tsv=snakemake.params.tsv,
)
