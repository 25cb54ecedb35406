from fieldcorpus.pipeline.rulescript import run_rule
from fieldcorpus.transcribe.jobs import render_shareable_transcript

run_rule(
    snakemake,
    render_shareable_transcript,
    units=snakemake.input.units,
    outputs=dict(snakemake.output.items()),
    settings=dict(snakemake.params.settings),
    shareable=bool(snakemake.params.shareable),
)
