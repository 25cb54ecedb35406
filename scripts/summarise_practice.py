from fieldcorpus.corpus.jobs import summarise_practice
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    summarise_practice,
    items=list(snakemake.input.item_units),
    practice=snakemake.wildcards.practice,
    tsv=snakemake.output.tsv,
    png=snakemake.output.timeline,
    dpi=int(snakemake.params.dpi),
)
