from fieldcorpus.audio.jobs import publish_redacted_audio
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    publish_redacted_audio,
    recording=snakemake.input.recording,
    audio=snakemake.input.audio,
    spans=snakemake.input.spans,
    transcript=snakemake.input.transcript,
    ledger=snakemake.params.ledger,
    register=snakemake.input.register,
    item=snakemake.params.item,
    settings=dict(snakemake.params.settings),
    audio_settings=dict(snakemake.params.audio_settings),
    threads=snakemake.threads,
    output_audio=snakemake.output.audio,
    output_check=snakemake.output.check,
    redaction_log=snakemake.params.redaction_log,
    work_audio=snakemake.params.work_audio,
)
