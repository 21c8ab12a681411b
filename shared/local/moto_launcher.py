"""medic's moto launcher: a real moto server on loopback, plus a small control surface.

Why not plain `python3 -m moto.server`: the simulation and the tests must *see* which AWS calls
reached the endpoint (e.g. "RebootInstances for i-123 was called"), and later issues inject
faults that moto cannot show on its own. Both live in one WSGI middleware in front of moto's own
app, so every request still goes through the real moto backend.

Control routes (all under /_medic/, loopback only, used by `medic simulate` and tests only):
  GET    /_medic/health  -> {"ok": true}
  GET    /_medic/calls   -> {"calls": [{"seq", "at", "service", "action", "params"}...]}
  DELETE /_medic/calls   -> clears the record

Prints one line `MOTO_READY <port>` on stdout once listening, and exits when stdin closes so a
crashed parent never leaves an orphan server behind.
"""

import io
import json
import os
import sys
import threading
import time
from datetime import datetime, timezone
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

MAX_RECORDED_CALLS = 10_000

_calls = []
_calls_lock = threading.Lock()


def _record(service, action, params):
    with _calls_lock:
        if len(_calls) >= MAX_RECORDED_CALLS:
            del _calls[0]
        _calls.append(
            {
                "seq": (_calls[-1]["seq"] + 1) if _calls else 1,
                "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "service": service,
                "action": action,
                "params": params,
            }
        )


def _service_from_auth(environ):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    # Credential=AKID/20250101/us-east-1/ec2/aws4_request
    try:
        scope = auth.split("Credential=")[1].split(",")[0]
        return scope.split("/")[3]
    except (IndexError, ValueError):
        return "unknown"


def _describe(environ, body):
    """Return (service, action, params) for the request, or None for non-API requests."""
    service = _service_from_auth(environ)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        action = target.split(".")[-1]
        try:
            params = json.loads(body) if body else {}
        except ValueError:
            params = {}
        return service, action, params
    form = {}
    ctype = environ.get("CONTENT_TYPE", "")
    if body and "x-www-form-urlencoded" in ctype:
        form = parse_qs(body.decode("utf-8", "replace"))
    query = parse_qs(environ.get("QUERY_STRING", ""))
    merged = {**query, **form}
    action = (merged.get("Action") or [None])[0]
    if not action:
        return None
    params = {k: (v[0] if len(v) == 1 else v) for k, v in merged.items() if k not in ("Action", "Version")}
    return service, action, params


def _json_response(start_response, status, payload):
    data = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def build_app():
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_medic/"):
            if path == "/_medic/health":
                return _json_response(start_response, "200 OK", {"ok": True})
            if path == "/_medic/calls" and method == "GET":
                with _calls_lock:
                    snapshot = list(_calls)
                return _json_response(start_response, "200 OK", {"calls": snapshot})
            if path == "/_medic/calls" and method == "DELETE":
                with _calls_lock:
                    _calls.clear()
                return _json_response(start_response, "200 OK", {"cleared": True})
            return _json_response(start_response, "404 Not Found", {"error": f"no control route {method} {path}"})

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        described = _describe(environ, body)
        if described is not None:
            _record(*described)
        return moto_app(environ, start_response)

    return app


def _exit_when_parent_goes():
    try:
        while sys.stdin.read(1):
            pass
    finally:
        os._exit(0)


def main():
    host = "127.0.0.1"
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = make_server(host, port, build_app(), threaded=True)
    print(f"MOTO_READY {server.server_address[1]}", flush=True)
    if os.environ.get("MEDIC_MOTO_WATCH_STDIN", "1") == "1":
        threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        time.sleep(0)


if __name__ == "__main__":
    main()
