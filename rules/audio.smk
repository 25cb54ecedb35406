# Shareable audio (opt-in, config `audio`): a restricted redacted copy first, then the closed-loop
# check that transcribes it again and publishes it to shareable/ only when no name is heard.
rule redact_audio:
    input:
        recording=recording_file,
        transcript=LAYOUT.transcript(),
        anonymisation_log=LAYOUT.anonymisation_log(),
    output:
        audio=LAYOUT.restricted_audio(ext=AUDIO_EXT),
        spans=LAYOUT.restricted_audio(ext="spans.tsv"),
    log:
        "logs/redact_audio/{practice}/{item_id}.log",
    benchmark:
        "benchmarks/redact_audio/{practice}/{item_id}.tsv"
    conda:
        "../envs/transcribe.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        item=item_record,
        settings=AUDIO,
    script:
        "../scripts/redact_audio.py"


# The redaction log and the repaired copy are params, not outputs (like the ledger): a failed
# check keeps its record. Repair renders from the recording again, so it is an input here too.
rule publish_redacted_audio:
    input:
        recording=recording_file,
        audio=LAYOUT.restricted_audio(ext=AUDIO_EXT),
        spans=LAYOUT.restricted_audio(ext="spans.tsv"),
        transcript=LAYOUT.transcript(),
        ledger_state=LAYOUT.ledger_state(),
        register=config["register"],
    output:
        audio=LAYOUT.shareable_audio(ext=AUDIO_EXT),
        check=LAYOUT.restricted_audio(ext="check.json"),
    log:
        "logs/publish_redacted_audio/{practice}/{item_id}.log",
    benchmark:
        "benchmarks/publish_redacted_audio/{practice}/{item_id}.tsv"
    conda:
        "../envs/transcribe.yaml"
    threads: config["transcription"].get("threads", 1)
    resources:
        mem_mb=4000,
        runtime=480,
    params:
        item=item_record,
        ledger=practice_ledger,
        redaction_log=redaction_log_path,
        work_audio=repaired_audio_path,
        settings=config["transcription"],
        audio_settings=AUDIO,
    script:
        "../scripts/publish_redacted_audio.py"
