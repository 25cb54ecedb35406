rule transcribe_recording:
    input:
        recording=recording_file,
        inventory=f"{RESTRICTED}/inventory/{{practice}}/{{item_id}}.json",
    output:
        transcript=f"{RESTRICTED}/transcripts/{{practice}}/{{item_id}}.json",
    log:
        "logs/transcribe_recording/{practice}/{item_id}.log",
    benchmark:
        "benchmarks/transcribe_recording/{practice}/{item_id}.tsv"
    conda:
        "../envs/transcribe.yaml"
    threads: config["transcription"].get("threads", 2)
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        item=item_record,
        settings=config["transcription"],
    script:
        "../scripts/transcribe_recording.py"


# Restricted analysis copies (identifiable: 0600), for checking transcripts against the audio.
rule render_restricted_transcript:
    input:
        units=f"{RESTRICTED}/transcripts/{{practice}}/{{item_id}}.json",
    output:
        **transcript_format_outputs(
            f"{RESTRICTED}/transcripts/{{practice}}/{{item_id}}"
        ),
    log:
        "logs/render_restricted_transcript/{practice}/{item_id}.log",
    conda:
        "../envs/transcribe.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        settings=config["transcription"],
        shareable=False,
    script:
        "../scripts/render_restricted_transcript.py"


# Shareable copies come only from the pseudonymised JSON, never from the restricted transcript.
# Its .txt is written by pseudonymise_item.
rule render_shareable_transcript:
    input:
        units=f"{SHAREABLE}/items/{{practice}}/{{item_id}}.json",
    output:
        **transcript_format_outputs(
            f"{SHAREABLE}/items/{{practice}}/{{item_id}}", exclude=("txt",)
        ),
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
        shareable=True,
    script:
        "../scripts/render_shareable_transcript.py"
