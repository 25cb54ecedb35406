from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import redact_audio_job

run_rule(
    snakemake,
    redact_audio_job,
    recording=snakemake.input.recording,
    transcript=snakemake.input.transcript,
    anonymisation_log=snakemake.input.anonymisation_log,
    output_audio=snakemake.output.audio,
    output_spans=snakemake.output.spans,
    item=snakemake.params.item,
    settings=dict(snakemake.params.settings),
)
