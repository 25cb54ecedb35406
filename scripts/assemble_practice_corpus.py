from fieldcorpus.corpus.jobs import assemble_practice_corpus
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    assemble_practice_corpus,
    items=list(snakemake.input.item_units),
    parquet=snakemake.output.parquet,
    csv=snakemake.output.csv,
    jsonl=snakemake.output.jsonl,
    dictionary=snakemake.output.dictionary,
    settings=dict(snakemake.params.settings),
    risk=dict(
        practice=snakemake.wildcards.practice,
        items=list(snakemake.params.manifest_rows),
        anonymisation_logs=list(snakemake.input.anonymisation_logs),
        ledger=snakemake.params.ledger,
        register=snakemake.input.register,
        settings=dict(snakemake.params.pseudonymisation),
        output=snakemake.output.risk,
        output_html=snakemake.output.risk_html,
        review=snakemake.output.risk_review,
    ),
)
