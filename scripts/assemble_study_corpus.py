from fieldcorpus.corpus.jobs import assemble_study_corpus
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    assemble_study_corpus,
    items=list(snakemake.input.item_units),
    parquet=snakemake.output.parquet,
    csv=snakemake.output.csv,
    jsonl=snakemake.output.jsonl,
    dictionary=snakemake.output.dictionary,
    settings=dict(snakemake.params.settings),
)
