from fieldcorpus.deid.jobs import index_practice_detections
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    index_practice_detections,
    detections=list(snakemake.input.detections),
    output=snakemake.output.index,
)
