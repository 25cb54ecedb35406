from fieldcorpus.deid.jobs import detect_entities
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    detect_entities,
    units=snakemake.input.units,
    register=snakemake.input.register,
    allow_list=snakemake.input.allow_list,
    output=snakemake.output.detections,
    settings=dict(snakemake.params.settings),
    models_dir=snakemake.params.models_dir,
)
