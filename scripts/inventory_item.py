from fieldcorpus.intake.jobs import inventory_item
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    inventory_item,
    raw=snakemake.input.raw,
    output=snakemake.output.inventory,
    item=snakemake.params.item,
)
