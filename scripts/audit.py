from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import audit_job

run_rule(
    snakemake,
    audit_job,
    config=dict(snakemake.params.config),
    output_tsv=snakemake.params.tsv,
)
