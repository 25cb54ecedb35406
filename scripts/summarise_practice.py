from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import summary_practice_job

run_rule(
    snakemake,
    summary_practice_job,
    items=list(snakemake.input.item_units),
    practice=snakemake.wildcards.practice,
    tsv=snakemake.output.tsv,
    png=snakemake.output.timeline,
    dpi=int(snakemake.params.dpi),
)
