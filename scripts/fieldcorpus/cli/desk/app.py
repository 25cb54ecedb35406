"""The review desk's web app (Flask, served by Werkzeug on 127.0.0.1 only).

Safe by construction: every request must carry the per-start token (the page's query string,
then an X-Desk-Token header from its script; changes only with the header), or it gets 403; the
Host must be the loopback address; assets are a fixed set of package files looked up by name,
never a path built from the request; every answer carries a Content-Security-Policy that allows
only the desk's own origin, and is never cached. The desk writes only what decisions write
(register, allow-list, ledger, restricted/review/) and its run log, never shareable/."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from importlib import resources

from flask import Flask, Response, abort, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

from fieldcorpus.cli.desk.clips import clip_wav
from fieldcorpus.cli.desk.runner import Run
from fieldcorpus.deid.decisions import (
    DecisionError,
    Desk,
    fits,
    passage,
    review_queues,
)
from fieldcorpus.deid.residual import read_hits
from fieldcorpus.manifest import ROLES

LOOPBACK = "127.0.0.1"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
# name -> (package file, media type): the only files the desk serves.
ASSETS = {
    "desk.js": ("desk.js", "text/javascript; charset=utf-8"),
    "desk.css": ("desk.css", "text/css; charset=utf-8"),
    "favicon.svg": ("favicon.svg", "image/svg+xml"),
}
ERROR_STATUS = {"gone": 410, "conflict": 409, "changed": 409, "invalid": 422, "unreadable": 422}


def asset(name: str) -> bytes:
    return resources.files("fieldcorpus.cli.desk").joinpath("assets", name).read_bytes()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def create_app(desk: Desk, run: Run, command: str, token: str) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024

    @app.before_request
    def only_with_the_token():
        host = (request.host or "").rsplit(":", 1)[0]
        if host not in (LOOPBACK, "localhost"):
            abort(403)
        given = request.headers.get("X-Desk-Token", "")
        if request.method == "GET" and not given:
            given = request.args.get("token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(403)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.errorhandler(DecisionError)
    def refused(error: DecisionError):
        return jsonify({"error": str(error), "kind": error.kind}), ERROR_STATUS[error.kind]

    @app.get("/")
    def page():
        # The token is URL-safe base64: it needs no escaping in the page's asset links.
        html = asset("index.html").decode("utf-8").replace("{{token}}", token)
        return Response(html, mimetype="text/html")

    @app.get("/assets/<name>")
    def static_asset(name: str):
        if name not in ASSETS:
            abort(404)
        filename, media_type = ASSETS[name]
        return Response(asset(filename), content_type=media_type)

    @app.get("/api/queue")
    def queue():
        decided = desk.decided()
        entries = desk.entries()
        counts: dict[str, int] = {}
        for entry in entries:
            counts[entry.key] = counts.get(entry.key, 0) + (entry.entry_id not in decided)
        shown = []
        for entry in entries:
            found = passage(desk.restricted, entry)
            settled = decided.get(entry.entry_id)
            shown.append(
                {
                    **entry.to_dict(),
                    "passage": found,
                    "recording": found["start_s"] is not None,
                    "fits": fits(entry),
                    "occurrences": counts[entry.key],
                    "decision": settled and {k: settled[k] for k in ("decision_id", "action")},
                }
            )
        practices = sorted({e.practice for e in entries})
        return jsonify(
            {
                "entries": shown,
                "open": sum(1 for e in shown if not e["decision"]),
                "decided": sum(1 for e in shown if e["decision"]),
                "practices": practices,
                "persons": {p: desk.persons(p) for p in practices},
                "roles": ROLES,
                "fingerprint": desk.fingerprint(),
                "decisions": desk.decisions()[::-1],
                "then": then(),
                "withheld": withheld(),
            }
        )

    def then() -> dict:
        """Items whose shareable outputs the next run changes: those holding a text decided
        since a run last wrote the review queues (the decision log, rewritten by every
        decision, does not count: a decision made a second before another would drop out)."""
        written = [p.stat().st_mtime for p in review_queues(desk.restricted)]
        last_run = max(written, default=0.0)
        items: set[str] = set()
        pending = 0
        for row in desk.decisions():
            if row["undone_at"] or not _after(row["decided_at"], last_run):
                continue
            pending += 1
            practice = None if row["action"] in ("allow", "release") else row["practice"]
            items.update(desk.affected_items(practice, row["text"]))
        return {"pending": pending, "items": sorted(items), "command": command}

    def withheld() -> int:
        return sum(1 for p in (desk.restricted / "review" / "gate").glob("*/*.tsv") if read_hits(p))

    def body() -> dict:
        if not request.is_json:
            abort(415)
        return request.get_json()

    @app.post("/api/decide")
    def decide():
        sent = body()
        row = desk.decide(
            str(sent.get("entry_id", "")),
            str(sent.get("action", "")),
            str(sent.get("target", "")),
            {k: str(v) for k, v in dict(sent.get("seen") or {}).items()},
        )
        return jsonify({"decision": row})

    @app.post("/api/undo")
    def undo():
        return jsonify({"decision": desk.undo(str(body().get("decision_id", "")))})

    @app.get("/api/audio/<wanted>")
    def audio(wanted: str):
        entry = desk.entry(wanted)
        found = passage(desk.restricted, entry)
        if found["start_s"] is None:
            abort(404)
        data = clip_wav(
            desk.restricted, entry.practice, entry.item_id, found["start_s"], found["end_s"]
        )
        return Response(data, mimetype="audio/wav")

    @app.get("/api/run")
    def run_status():
        return jsonify(run.status())

    @app.post("/api/run")
    def start_run():
        body()
        run.start()
        return jsonify(run.status())

    return app


def _after(iso: str, timestamp: float) -> bool:
    """Whether a decision (logged to the second) came after a file written at `timestamp`."""
    return dt.datetime.fromisoformat(iso).timestamp() >= int(timestamp)


def serve(app: Flask, port: int = 0) -> BaseWSGIServer:
    """A threaded server on the loopback address only (port 0: a free one). Requests are not
    logged: their URLs carry the token."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return make_server(LOOPBACK, port, app, threaded=True)


def desk_url(server: BaseWSGIServer, token: str) -> str:
    return f"http://{LOOPBACK}:{server.server_port}/?token={token}"
