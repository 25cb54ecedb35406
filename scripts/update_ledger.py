from fieldcorpus.deid.jobs import update_ledger
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    update_ledger,
    detection_index=snakemake.input.detection_index,
    detections=list(snakemake.params.detections),
    units=list(snakemake.params.units),
    register=snakemake.input.register,
    ledger=snakemake.params.ledger,
    state=snakemake.output.state,
    review=snakemake.output.review,
    review_html=snakemake.output.review_html,
    review_threshold=float(snakemake.params.review_threshold),
)
