from fieldcorpus.corpus.jobs import export_study_qdpx
from fieldcorpus.pipeline.rulescript import run_rule

run_rule(
    snakemake,
    export_study_qdpx,
    items=list(snakemake.input.item_units),
    docx=list(snakemake.input.docx),
    audio=list(snakemake.input.audio),
    output=snakemake.output.qdpx,
    name=snakemake.params.name,
)
