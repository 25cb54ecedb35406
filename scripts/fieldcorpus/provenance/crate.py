"""The shareable zone as a Workflow Run RO-Crate (ro-crate-metadata.json at its root).

Raw inputs appear by checksum only, as `#raw-<item_id>` File entities with no path (RO-Crate:
a `#` identifier marks a file deliberately not present). Every shareable output is a File data
entity with its sha256. Only the fields in RUN_SPECIFIC_FIELDS differ between two runs that
produce the same outputs.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from fieldcorpus.deid.generalise import applied
from fieldcorpus.files import read_json, sha256_file, write_shareable_json
from fieldcorpus.provenance.lineage import software_of
from fieldcorpus.units import item_id_of

CRATE_NAME = "ro-crate-metadata.json"
RUN_ACTION = "#run"
WORKFLOW = "#fieldcorpus-workflow"
# Properties that describe one run rather than its outputs (on the root and the run action).
RUN_SPECIFIC_FIELDS = frozenset({"datePublished", "startTime", "endTime", "identifier"})
PROFILES = (
    ("https://w3id.org/ro/wfrun/process/0.6", "Process Run Crate", "0.6"),
    ("https://w3id.org/ro/wfrun/workflow/0.6", "Workflow Run Crate", "0.6"),
    ("https://w3id.org/workflowhub/workflow-ro-crate/1.1", "Workflow RO-Crate", "1.1"),
)
MEDIA_TYPES = {
    ".json": "application/json",
    ".jsonl": "application/jsonl",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".parquet": "application/vnd.apache.parquet",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".html": "text/html",
    ".qdpx": "application/zip",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def media_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "x"


def _flatten(settings: dict, prefix: str = "") -> list[tuple[str, object]]:
    pairs = []
    for key, value in sorted(settings.items()):
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs.extend(_flatten(value, f"{name}."))
        else:
            pairs.append((name, value))
    return pairs


def _data_type(value) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    return "Text"


def build_crate(
    *,
    shareable_dir: str,
    files: list[str],
    lineage_files: list[str],
    manifest_sha256: str,
    settings: dict,
    pipeline: dict,
    snakemake_version: str,
    python_version: str,
    run: dict | None,
    ended: str,
    report: str | None = None,
    name: str = "",
    license_id: str = "",
) -> dict:
    """The crate's JSON-LD, built with the rocrate library (nothing is copied or written)."""
    from rocrate.model.computerlanguage import get_lang
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    root_dir = Path(shareable_dir).resolve()

    def relative(path: str) -> str:
        return Path(path).resolve().relative_to(root_dir).as_posix()

    crate = ROCrate()
    root = crate.root_dataset
    root["name"] = name or "fieldcorpus shareable outputs"
    root["description"] = (
        "Pseudonymised outputs of a fieldcorpus run. Raw fieldwork is identifiable and is "
        "described by checksum only."
    )
    # Which generalisations shaped the shared text and metadata; never what the risk report found.
    generalised = applied(settings.get("pseudonymisation") or {})
    root["description"] += f" Generalisations applied: {', '.join(generalised) or 'none'}."
    root["datePublished"] = ended
    if license_id:
        root["license"] = crate.add(
            ContextEntity(
                crate,
                f"https://spdx.org/licenses/{license_id}",
                {"@type": "CreativeWork", "name": license_id},
            )
        )
    root["conformsTo"] = [
        crate.add(ContextEntity(crate, uri, {"@type": "CreativeWork", "name": n, "version": v}))
        for uri, n, v in PROFILES
    ]

    language = crate.add(get_lang(crate, "snakemake", version=snakemake_version))
    workflow = crate.add(
        ContextEntity(
            crate,
            WORKFLOW,
            {
                "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow"],
                "name": "fieldcorpus",
                "description": "Snakemake pipeline: raw fieldwork to pseudonymised corpora. Not "
                "included: identified by version, git commit and the sha256 of its code.",
                "version": pipeline.get("version"),
                "identifier": pipeline.get("commit") or "",
                "sha256": pipeline.get("code_sha256"),
                "programmingLanguage": language,
            },
        )
    )
    workflow["additionalProperty"] = [
        crate.add(
            ContextEntity(
                crate,
                f"#pipeline-{key}",
                {"@type": "PropertyValue", "name": key, "value": str(pipeline.get(key))},
            )
        )
        for key in ("commit", "dirty", "code_sha256")
    ]
    root["mainEntity"] = workflow

    raw_param = crate.add_formal_parameter(
        "raw_item", "File", identifier="#param-raw-item", description="A raw fieldwork item"
    )
    output_param = crate.add_formal_parameter(
        "shareable_output",
        "File",
        identifier="#param-shareable-output",
        description="A pseudonymised output in the shareable zone",
    )
    manifest_param = crate.add_formal_parameter(
        "manifest", "File", identifier="#param-manifest", description="The item manifest"
    )

    objects = []
    manifest = crate.add(
        ContextEntity(
            crate,
            "#manifest",
            {
                "@type": "File",
                "name": "manifest (restricted: names raw files)",
                "sha256": manifest_sha256,
                "encodingFormat": "text/tab-separated-values",
                "exampleOfWork": manifest_param,
            },
        )
    )
    objects.append(manifest)

    lineages = [(path, read_json(path)) for path in sorted(lineage_files)]
    raw_by_item = {}
    for _, record in lineages:
        item = record["item"]
        raw = record["raw"]
        raw_by_item[item["item_id"]] = crate.add(
            ContextEntity(
                crate,
                f"#raw-{item['item_id']}",
                {
                    "@type": "File",
                    "name": f"raw {item['kind']} {item['item_id']} (withheld: identifiable)",
                    "sha256": raw.get("sha256"),
                    "contentSize": str(raw.get("size_bytes", "")),
                    "encodingFormat": raw.get("media_type"),
                    "exampleOfWork": raw_param,
                },
            )
        )
    objects.extend(raw_by_item[item_id] for item_id in sorted(raw_by_item))

    config_params = []
    for key, value in _flatten(settings):
        param = crate.add_formal_parameter(
            key, _data_type(value), identifier=f"#param-{_slug(key)}"
        )
        config_params.append(param)
        objects.append(
            crate.add(
                ContextEntity(
                    crate,
                    f"#config-{_slug(key)}",
                    {
                        "@type": "PropertyValue",
                        "name": key,
                        "value": value if isinstance(value, bool | int | float) else str(value),
                        "exampleOfWork": param,
                    },
                )
            )
        )
    workflow["input"] = [raw_param, manifest_param, *config_params]
    workflow["output"] = [output_param]

    software = {}
    for entry in [
        {"kind": "engine", "name": "fieldcorpus", "version": pipeline.get("version")},
        {"kind": "engine", "name": "Snakemake", "version": snakemake_version},
        {"kind": "engine", "name": "Python", "version": python_version},
        *(entry for _, record in lineages for entry in software_of(record)),
    ]:
        key = "#" + _slug(
            f"{entry['kind']}-{entry['name']}-{entry.get('id') or ''}-{entry.get('version') or ''}"
            f"-{(entry.get('sha256') or '')[:16]}"
        )
        if key in software:
            continue
        properties = {"@type": "SoftwareApplication", "name": entry["name"]}
        if entry.get("version"):
            properties["softwareVersion"] = str(entry["version"])
        if entry["kind"] == "model":
            properties["applicationCategory"] = "machine learning model"
            properties["identifier"] = str(entry.get("id"))
            if entry.get("sha256"):
                properties["sha256"] = entry["sha256"]
        software[key] = crate.add(ContextEntity(crate, key, properties))
    workflow["hasPart"] = [software[key] for key in sorted(software)]

    lineage_of = {relative(path): item_id_of(record) for path, record in lineages}
    item_of_file = {
        output: item_id_of(record)
        for _, record in lineages
        for output in record.get("shareable_outputs", {})
    }
    results = []
    for path in sorted(set(files), key=relative):
        rel = relative(path)
        properties = {
            "name": rel,
            "sha256": sha256_file(path),
            "contentSize": str(Path(path).stat().st_size),
            "encodingFormat": media_type(rel),
            "exampleOfWork": output_param,
        }
        item_id = item_of_file.get(rel) or lineage_of.get(rel)
        if item_id in raw_by_item:
            properties["isBasedOn"] = raw_by_item[item_id]
        results.append(crate.add_file(path, dest_path=rel, properties=properties))

    action_properties = {
        "@type": "CreateAction",
        "name": "fieldcorpus run",
        "endTime": ended,
        "actionStatus": {"@id": "http://schema.org/CompletedActionStatus"},
    }
    if run:
        action_properties["startTime"] = run.get("started")
        action_properties["identifier"] = run.get("run_id")
    action = crate.add_action(
        workflow,
        identifier=RUN_ACTION,
        object=objects,
        result=results,
        properties=action_properties,
    )
    root["mentions"] = [action]

    if report:
        crate.add_file(
            report,
            dest_path=relative(report),
            properties={
                "name": "Snakemake report",
                "sha256": sha256_file(report),
                "contentSize": str(Path(report).stat().st_size),
                "encodingFormat": "text/html",
                "about": action,
            },
        )
    return crate.metadata.generate()


def write_crate(path: str, metadata: dict) -> None:
    write_shareable_json(path, metadata)


def without_run_specific(metadata: dict) -> dict:
    """The crate with run-specific fields removed: what two equivalent runs share."""
    return {
        **metadata,
        "@graph": [
            {k: v for k, v in entity.items() if k not in RUN_SPECIFIC_FIELDS}
            if entity.get("@id") in ("./", RUN_ACTION)
            else entity
            for entity in metadata["@graph"]
        ],
    }


def listed_files(metadata: dict) -> dict[str, str | None]:
    """Relative path -> sha256 of every File data entity present in the crate."""
    from urllib.parse import unquote

    listed = {}
    for entity in metadata.get("@graph", []):
        types = entity.get("@type")
        types = types if isinstance(types, list) else [types]
        identifier = entity.get("@id", "")
        if "File" not in types or identifier.startswith("#") or "://" in identifier:
            continue
        if identifier == CRATE_NAME:
            continue
        listed[unquote(identifier)] = entity.get("sha256")
    return listed
