from fieldcorpus.pipeline.rulescript import run_rule
from fieldcorpus.provenance.jobs import item_lineage

run_rule(
    snakemake,
    item_lineage,
    item=dict(snakemake.params.item),
    inputs={
        "inventory": snakemake.input.inventory,
        "units": snakemake.input.units,
        "detections": snakemake.input.detections,
        "ledger_state": snakemake.input.ledger_state,
        "anonymisation_log": snakemake.input.anonymisation_log,
        "shareable": list(snakemake.input.shareable),
        "register": snakemake.input.register,
        "allow_list": snakemake.input.allow_list,
    },
    settings=dict(snakemake.params.settings),
    snakemake_version=snakemake.params.snakemake_version,
    restricted_dir=snakemake.params.zones["restricted"],
    shareable_dir=snakemake.params.zones["shareable"],
    output_shareable=snakemake.output.shareable,
    output_restricted=snakemake.output.restricted,
)
