from fieldcorpus.pipeline.rulescript import run_rule
from fieldcorpus.transcribe.jobs import transcribe_recording

run_rule(
    snakemake,
    transcribe_recording,
    raw=snakemake.input.recording,
    inventory=snakemake.input.inventory,
    output=snakemake.output.transcript,
    item=snakemake.params.item,
    settings=dict(snakemake.params.settings),
    threads=snakemake.threads,
    models_dir=snakemake.params.settings.get("models_dir"),
)
