from fieldcorpus.audio.jobs import redact_audio
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    redact_audio,
    recording=snakemake.input.recording,
    transcript=snakemake.input.transcript,
    anonymisation_log=snakemake.input.anonymisation_log,
    output_audio=snakemake.output.audio,
    output_spans=snakemake.output.spans,
    item=snakemake.params.item,
    settings=dict(snakemake.params.settings),
)
