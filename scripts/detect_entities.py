from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import detect_job

run_rule(
    snakemake,
    detect_job,
    units=snakemake.input.units,
    register=snakemake.input.register,
    allow_list=snakemake.input.allow_list,
    output=snakemake.output.detections,
    settings=dict(snakemake.params.settings),
    models_dir=snakemake.params.models_dir,
)
