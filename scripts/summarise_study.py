from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import summary_study_job

run_rule(
    snakemake,
    summary_study_job,
    practice_tsvs=list(snakemake.input.practice_summaries),
    tsv=snakemake.output.tsv,
    html=snakemake.output.html,
)
