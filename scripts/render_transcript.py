from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import transcript_formats_job

run_rule(
    snakemake,
    transcript_formats_job,
    units=snakemake.input.units,
    outputs=dict(snakemake.output.items()),
    settings=dict(snakemake.params.settings),
    shareable=bool(snakemake.params.shareable),
)
