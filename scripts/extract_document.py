from fieldcorpus.documents.jobs import extract_document
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    extract_document,
    raw=snakemake.input.document,
    inventory=snakemake.input.inventory,
    output=snakemake.output.text,
    item=snakemake.params.item,
    settings=dict(snakemake.params.settings),
    threads=snakemake.threads,
)
