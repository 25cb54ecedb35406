from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import casebook_job

run_rule(
    snakemake,
    casebook_job,
    items=list(snakemake.input.item_units),
    practice=snakemake.wildcards.practice,
    markdown=snakemake.output.markdown,
    html=snakemake.output.html,
)
