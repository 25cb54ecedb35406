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
        runtime=120,
    params:
        item=item_record,
        settings=config["transcription"],
    script:
        "../scripts/transcribe_recording.py"
