from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import ledger_job

run_rule(
    snakemake,
    ledger_job,
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
