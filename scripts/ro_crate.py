from fieldcorpus.pipeline.rulescript import run_rule
from fieldcorpus.provenance.jobs import ro_crate

run_rule(
    snakemake,
    ro_crate,
    files=list(snakemake.params.files),
    lineage=list(snakemake.params.lineage),
    manifest=snakemake.input.manifest,
    report=snakemake.input.get("report"),
    shareable_dir=snakemake.params.shareable_dir,
    restricted_dir=snakemake.params.restricted_dir,
    settings=dict(snakemake.params.settings),
    snakemake_version=snakemake.params.snakemake_version,
    crate_settings=dict(snakemake.params.crate),
    ledgers=list(snakemake.params.ledgers),
    register=snakemake.input.register,
    output=snakemake.output.crate,
)
