from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import publish_audio_job

run_rule(
    snakemake,
    publish_audio_job,
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
