from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import corpus_job

run_rule(
    snakemake,
    corpus_job,
    items=list(snakemake.input.item_units),
    parquet=snakemake.output.parquet,
    csv=snakemake.output.csv,
    jsonl=snakemake.output.jsonl,
    dictionary=snakemake.output.dictionary,
    settings=dict(snakemake.params.settings),
)
