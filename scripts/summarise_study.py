from fieldcorpus.corpus.jobs import summarise_study
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    summarise_study,
    practice_tsvs=list(snakemake.input.practice_summaries),
    tsv=snakemake.output.tsv,
    html=snakemake.output.html,
)
