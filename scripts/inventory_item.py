from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import inventory_job

run_rule(
    snakemake,
    inventory_job,
    raw=snakemake.input.raw,
    output=snakemake.output.inventory,
    item=snakemake.params.item,
)
