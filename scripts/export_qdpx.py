from fieldcorpus.rulescript import run_rule
from fieldcorpus.stages import qdpx_job

run_rule(
    snakemake,
    qdpx_job,
    items=list(snakemake.input.item_units),
    docx=list(snakemake.input.docx),
    audio=list(snakemake.input.audio),
    output=snakemake.output.qdpx,
    name=snakemake.params.name,
)
