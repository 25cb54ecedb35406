from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import detection_index_job

run_rule(
    snakemake,
    detection_index_job,
    detections=list(snakemake.input.detections),
    output=snakemake.output.index,
)
