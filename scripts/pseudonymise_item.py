from fieldcorpus.deid.jobs import pseudonymise_item
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    pseudonymise_item,
    units=snakemake.input.units,
    detections=snakemake.params.detections,
    ledger=snakemake.params.ledger,
    ledger_state=snakemake.input.ledger_state,
    allow_list=snakemake.input.allow_list,
    output_json=snakemake.output.units,
    output_text=snakemake.output.text,
    anonymisation_log=snakemake.output.anonymisation_log,
    gate_hits=snakemake.params.gate_hits,
    made_from_item=list(snakemake.params.made_from_item),
    text_settings=dict(snakemake.params.text_settings),
    settings=dict(snakemake.params.settings),
)
