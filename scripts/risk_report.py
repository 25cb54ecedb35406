from fieldcorpus.deid.jobs import risk_report
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    risk_report,
    practice=snakemake.wildcards.practice,
    items=list(snakemake.params.manifest_rows),
    shared_items=list(snakemake.input.shared_items),
    anonymisation_logs=list(snakemake.input.anonymisation_logs),
    ledger=snakemake.params.ledger,
    register=snakemake.input.register,
    settings=dict(snakemake.params.settings),
    output=snakemake.output.report,
    output_html=snakemake.output.report_html,
    review=snakemake.output.review,
)
