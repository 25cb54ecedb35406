from fieldcorpus.corpus.jobs import build_casebook
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    build_casebook,
    items=list(snakemake.input.item_units),
    practice=snakemake.wildcards.practice,
    markdown=snakemake.output.markdown,
    html=snakemake.output.html,
)
