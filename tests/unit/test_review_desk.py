"""The review desk's web app, safe by construction: the token on every route, loopback only,
no request path reaching a file, the Content-Security-Policy; the passage's audio decoded from
the restricted raw recording; decisions over HTTP, refusals as clear messages."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import wave
from pathlib import Path

import numpy as np
import pytest
from fieldcorpus.cli.desk.app import CSP, create_app, desk_url, serve
from fieldcorpus.cli.desk.runner import Run
from fieldcorpus.deid.decisions import Desk
from fieldcorpus.deid.review import review_to_tsv
from fieldcorpus.files import write_restricted_json

from tests.conftest import REPO

TOKEN = "t0ken-for-tests-0123456789"
REGISTER = (
    "practice\tentity_type\tname\taliases\trole\tpseudonym\n"
    "P01\tperson\tSarah Mitchell\tDr Mitchell\tgp\t[GP 1]\n"
)
LEDGER = (
    "original\tcanonical\tentity_type\tpseudonym\tsource\tfirst_item\tsince\n"
    "Sarah Mitchell\tregister:P01:Sarah Mitchell\tperson\t[GP 1]\tregister\tP01-W1-INT-01\t1\n"
    "Hilar\thilar\tname\t[Name 1]\tcapitalised\tP01-W1-INT-01\t1\n"
)
UNIT_TEXT = "Then the Hilar test came back and Dr Mitchell rang."


def review_row(text: str, start: int) -> dict:
    return {
        "item_id": "P01-W1-INT-01", "unit_id": "u2", "start": start, "end": start + len(text),
        "text": text, "pseudonym": "[Name 1]", "source": "capitalised", "score": 0.6,
        "reason": "capitalised word nothing recognised; replaced to be safe",
        "context": f"…[[{text}]]…", "resolve": "",
    }  # fmt: skip


@pytest.fixture
def zone(tmp_path):
    """A restricted zone with one recording (a real WAV behind its raw link), its transcript,
    ledger and review queue."""
    fieldwork = tmp_path / "fieldwork" / "P01" / "wave1"
    fieldwork.mkdir(parents=True)
    raw = fieldwork / "Interview Jane Doe.wav"
    rate, seconds = 16000, 12
    tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(rate * seconds) / rate) * 32767).astype("<i2")
    with wave.open(str(raw), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(tone.tobytes())
    restricted = tmp_path / "restricted"
    link = restricted / "raw" / "P01" / "P01-W1-INT-01.wav"
    link.parent.mkdir(parents=True)
    os.symlink(os.path.relpath(raw, link.parent), link)
    units = [
        {"id": "u1", "text": "Hello.", "start": 0.0, "end": 2.0, "speaker": "S1"},
        {"id": "u2", "text": UNIT_TEXT, "start": 5.0, "end": 7.5, "speaker": "S2"},
    ]
    write_restricted_json(
        restricted / "transcripts" / "P01" / "P01-W1-INT-01.json",
        {"item": {"item_id": "P01-W1-INT-01", "practice": "P01"}, "units": units},
    )
    (restricted / "ledger").mkdir()
    (restricted / "ledger" / "P01.tsv").write_text(LEDGER)
    (restricted / "review").mkdir()
    (restricted / "review" / "P01.tsv").write_text(review_to_tsv([review_row("Hilar", 9)]))
    (tmp_path / "register.tsv").write_text(REGISTER)
    (tmp_path / "allow_list.txt").write_text("inhaler\n")
    desk = Desk(restricted, tmp_path / "register.tsv", tmp_path / "allow_list.txt", who="tester")
    return tmp_path, desk


@pytest.fixture
def client(zone):
    root, desk = zone
    app = create_app(desk, Run(root, ["true"]), "snakemake", TOKEN)
    return app.test_client()


def routes(client) -> list[tuple[str, str]]:
    """(method, url) of every route of the app, with a sample value for each argument."""
    found = []
    for rule in client.application.url_map.iter_rules():
        url = rule.rule.replace("<name>", "desk.js").replace("<wanted>", "0123456789abcdef")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_no_token_no_access_on_every_route(client):
    every = routes(client)
    assert {url for _, url in every} >= {"/", "/assets/desk.js", "/api/queue", "/api/decide"}
    for method, url in every:
        for headers, query in (({}, ""), ({"X-Desk-Token": "wrong"}, "?token=wrong")):
            answer = client.open(url + query, method=method, headers=headers, json={})
            assert answer.status_code == 403, (method, url, headers)
            assert answer.headers["Content-Security-Policy"] == CSP
    # A change needs the header: the token in a link's query string does not do.
    answer = client.post(f"/api/decide?token={TOKEN}", json={})
    assert answer.status_code == 403
    assert client.get(f"/?token={TOKEN}").status_code == 200
    # Another Host (DNS rebinding) is refused even with the token.
    refused = client.get(f"/?token={TOKEN}", headers={"Host": "desk.example.org"})
    assert refused.status_code == 403


def test_the_page_carries_the_csp_and_no_outside_asset(client):
    page = client.get(f"/?token={TOKEN}")
    assert page.headers["Content-Security-Policy"] == CSP
    assert "default-src 'none'" in CSP and "script-src 'self'" in CSP
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html and "<script>" not in html
    for name in ("desk.js", "desk.css"):
        asset = client.get(f"/assets/{name}?token={TOKEN}")
        assert asset.status_code == 200 and asset.headers["Content-Security-Policy"] == CSP
        assert "https://" not in asset.get_data(as_text=True)


def test_encoded_dot_dot_never_reaches_a_file(client, zone):
    root, _ = zone
    secret = root / "register.tsv"
    opened: list[str] = []
    watching = threading.Event()

    def audit(event, args):
        if watching.is_set() and event == "open" and isinstance(args[0], str | bytes | Path):
            opened.append(os.fsdecode(args[0]))

    sys.addaudithook(audit)
    attacks = [
        "/assets/..%2f..%2f..%2fregister.tsv",
        "/assets/%2e%2e%2f%2e%2e%2fregister.tsv",
        "/assets/..%252f..%252fregister.tsv",
        "/assets/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
        "/assets/..\\..\\register.tsv",
        "/api/audio/..%2f..%2fraw%2fP01%2fP01-W1-INT-01.wav",
        "/api/audio/%2e%2e%2f%2e%2e%2fregister.tsv",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
    ]
    watching.set()
    try:
        answers = [client.get(f"{url}?token={TOKEN}") for url in attacks]
    finally:
        watching.clear()
    for url, answer in zip(attacks, answers, strict=True):
        assert answer.status_code in (404, 410), url
        assert b"Sarah" not in answer.data and b"root:" not in answer.data, url
    reached = [p for p in opened if "passwd" in p or "pyproject" in p or Path(p) == secret]
    assert reached == []
    assert not any(p.endswith(".wav") for p in opened)


def test_the_socket_is_bound_to_loopback_only(client):
    server = serve(client.application, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.socket.getsockname()[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(desk_url(server, TOKEN), timeout=10) as page:
            assert page.status == 200
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/queue", timeout=10)
    finally:
        server.shutdown()
        server.server_close()


def test_the_command_prints_one_tokened_loopback_url(tmp_path):
    workdir = tmp_path / "work"
    (workdir / "config").mkdir(parents=True)
    (workdir / "config" / "config.yaml").write_text((REPO / "config" / "config.yaml").read_text())
    command = [sys.executable, "-m", "fieldcorpus.cli.main", "review", "--serve", "--no-browser"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts")}
    process = subprocess.Popen(
        [*command, "-d", str(workdir)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("review desk: http://127.0.0.1:")
        url = line.split(": ", 1)[1]
        token = url.split("?token=", 1)[1]
        assert len(token) >= 32
        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.headers["Content-Security-Policy"] == CSP
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(url.split("?")[0], timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_passage_plays_from_the_raw_recording_and_its_name_never_shows(client):
    queue = client.get("/api/queue", headers={"X-Desk-Token": TOKEN}).get_json()
    entry = queue["entries"][0]
    assert entry["recording"] and entry["passage"]["span"] == "Hilar"
    assert entry["passage"]["before"] == "Then the "
    assert "Jane" not in str(queue)
    clip = client.get(f"/api/audio/{entry['entry_id']}?token={TOKEN}")
    assert clip.status_code == 200 and clip.mimetype == "audio/wav"
    with wave.open(io.BytesIO(clip.data)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    assert seconds == pytest.approx(2.5 + 2 * 2.0, abs=0.01)  # the unit, 2 s either side
    assert b"Jane" not in clip.data


def test_an_unreadable_recording_gets_a_clear_message(client, zone):
    root, _ = zone
    (root / "fieldwork" / "P01" / "wave1" / "Interview Jane Doe.wav").write_bytes(b"RIFF0000junk")
    entry = client.get("/api/queue", headers={"X-Desk-Token": TOKEN}).get_json()["entries"][0]
    answer = client.get(f"/api/audio/{entry['entry_id']}?token={TOKEN}")
    assert answer.status_code == 422
    message = answer.get_json()["error"]
    assert message.startswith("item P01-W1-INT-01: the raw recording cannot be read")
    assert "Jane" not in message and ".wav" not in message


def test_decisions_over_http_and_their_refusals(client, zone):
    root, _ = zone
    headers = {"X-Desk-Token": TOKEN}
    queue = client.get("/api/queue", headers=headers).get_json()
    entry = queue["entries"][0]
    assert entry["fits"][0] == "same_person" and queue["open"] == 1
    assert [p["pseudonym"] for p in queue["persons"]["P01"]] == ["[GP 1]"]
    sent = {"entry_id": entry["entry_id"], "action": "allow", "seen": queue["fingerprint"]}
    done = client.post("/api/decide", json=sent, headers=headers)
    assert done.status_code == 200
    assert (root / "allow_list.txt").read_text().startswith("inhaler\nHilar")
    again = client.post("/api/decide", json=sent, headers=headers)
    assert again.status_code == 409
    assert "already decided" in again.get_json()["error"]
    after = client.get("/api/queue", headers=headers).get_json()
    assert (after["open"], after["decided"]) == (0, 1)
    assert after["then"]["items"] == ["P01-W1-INT-01"]
    # A later decision rewrites the decision log seconds after this one: this one still waits.
    later = time.time() + 5
    os.utime(root / "restricted" / "review" / "decisions.tsv", (later, later))
    waiting = client.get("/api/queue", headers=headers).get_json()["then"]
    assert (waiting["pending"], waiting["items"]) == (1, ["P01-W1-INT-01"])
    undone = client.post(
        "/api/undo", json={"decision_id": done.get_json()["decision"]["decision_id"]},
        headers=headers,
    )  # fmt: skip
    assert undone.status_code == 200
    assert (root / "allow_list.txt").read_text() == "inhaler\n"
    # The entry left the queue in a rerun: gone, nothing written.
    (root / "restricted" / "review" / "P01.tsv").write_text(review_to_tsv([]))
    gone = client.post("/api/decide", json=sent, headers=headers)
    assert gone.status_code == 410 and "no longer in the review queue" in gone.get_json()["error"]
    assert (root / "allow_list.txt").read_text() == "inhaler\n"
