from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/schemas/config.schema.yaml")


report: "report/workflow.rst"


# Used only with --sdm apptainer (README: HPC / SLURM); built from containers/fieldcorpus.def.
container: "containers/fieldcorpus.sif"


include: "rules/common.smk"
include: "rules/transcribe.smk"
include: "rules/extract.smk"
include: "rules/pseudonymise.smk"
include: "rules/audio.smk"
include: "rules/corpus.smk"
include: "rules/provenance.smk"


rule all:
    default_target: True
    input:
        get_final_outputs(),
