from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import extract_job

run_rule(
    snakemake,
    extract_job,
    raw=snakemake.input.document,
    inventory=snakemake.input.inventory,
    output=snakemake.output.text,
    item=snakemake.params.item,
    settings=dict(snakemake.params.settings),
    threads=snakemake.threads,
)
