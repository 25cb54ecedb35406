from fieldcorpus.deid.jobs import detect_entities
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    detect_entities,
    units=list(snakemake.input.units),
    detections=list(snakemake.params.detections),
    register=snakemake.input.register,
    allow_list=snakemake.input.allow_list,
    ledger=snakemake.params.ledger,
    state=snakemake.output.state,
    review=snakemake.output.review,
    review_html=snakemake.output.review_html,
    settings=dict(snakemake.params.settings),
    models_dir=snakemake.params.models_dir,
)
