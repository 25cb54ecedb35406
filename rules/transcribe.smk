# One job per recording: inventory (checksum, media facts), transcription, and the restricted
# analysis copies (identifiable: 0600) for checking the transcript against the audio.
rule transcribe_recording:
    input:
        recording=recording_file,
    output:
        **TARGETS.restricted_formats(),
        transcript=LAYOUT.transcript(),
        inventory=LAYOUT.inventory(),
    log:
        "logs/transcribe_recording/{practice}/{item_id}.log",
    benchmark:
        "benchmarks/transcribe_recording/{practice}/{item_id}.tsv"
    conda:
        "../envs/transcribe.yaml"
    threads: config["transcription"].get("threads", 1)
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        item=item_record,
        settings=config["transcription"],
    script:
        "../scripts/transcribe_recording.py"


# Shareable copies come only from the pseudonymised JSON, never from the restricted transcript.
# Its .txt is written by pseudonymise_item.
rule render_shareable_transcript:
    input:
        units=LAYOUT.shareable_item(),
    output:
        **TARGETS.shareable_formats(),
    log:
        "logs/render_shareable_transcript/{practice}/{item_id}.log",
    conda:
        "../envs/transcribe.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        settings=config["transcription"],
    script:
        "../scripts/render_shareable_transcript.py"
