"""medic's moto launcher: a real moto server on loopback, plus a small control surface.

Why not plain `python3 -m moto.server`: the simulation and the tests must *see* which AWS calls
reached the endpoint (e.g. "RebootInstances for i-123 was called"), and later issues inject
faults that moto cannot show on its own. Both live in one WSGI middleware in front of moto's own
app, so every request still goes through the real moto backend.

Control routes (all under /_medic/, loopback only, used by `medic simulate` and tests only):
  GET    /_medic/health  -> {"ok": true}
  GET    /_medic/calls   -> {"calls": [{"seq", "at", "service", "action", "params"}...]}
  DELETE /_medic/calls   -> clears the record

Issue #5 fault injection (fault matrix tests):
  POST   /_medic/faults   body {"service": "ec2", "action": "RebootInstances", "code": "RequestLimitExceeded",
                                "status": 503, "count": 2}
                          -> the next `count` matching API calls answer that AWS error (in the service's
                             own wire format) without reaching moto; "action": "*" matches any action;
                             with "passThrough": true the call DOES reach moto first and only its answer is
                             lost (a Lambda that crashed mid-action / a response lost on the way back)
  DELETE /_medic/faults   -> clears the rules
  POST   /_medic/restart?downMs=1500
                          -> closes the listening socket, stays down for downMs (clients see connection
                             refused), then listens again on the same port; moto's state survives (like a
                             restarted endpoint with persistence)

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


# ---- issue #5: fault rules and restarts ----
_faults = []
_faults_lock = threading.Lock()
_restart_requests = []


def _take_fault(service, action):
    with _faults_lock:
        for rule in _faults:
            if rule.get("count", 0) <= 0:
                continue
            if rule.get("service") not in (None, "*", service):
                continue
            if rule.get("action") not in (None, "*", action):
                continue
            rule["count"] -= 1
            return dict(rule)
    return None


def _fault_response(start_response, environ, service, rule):
    code = rule.get("code", "ThrottlingException")
    message = rule.get("message", f"injected {code}")
    status = int(rule.get("status", 400))
    reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
    if environ.get("HTTP_X_AMZ_TARGET"):
        data = json.dumps({"__type": f"com.amazonaws.{service}#{code}", "message": message}).encode()
        ctype = "application/x-amz-json-1.0"
    elif service == "ec2":
        data = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>medic-fault</RequestID></Response>"
        ).encode()
        ctype = "text/xml"
    else:
        data = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>medic-fault</RequestId></ErrorResponse>"
        ).encode()
        ctype = "text/xml"
    start_response(f"{status} {reason}", [("Content-Type", ctype), ("Content-Length", str(len(data)))])
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
            if path == "/_medic/faults" and method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                rule = json.loads(environ["wsgi.input"].read(length) or b"{}")
                with _faults_lock:
                    _faults.append(rule)
                return _json_response(start_response, "200 OK", {"rules": len(_faults)})
            if path == "/_medic/faults" and method == "DELETE":
                with _faults_lock:
                    _faults.clear()
                return _json_response(start_response, "200 OK", {"cleared": True})
            if path == "/_medic/restart" and method == "POST":
                down_ms = int((parse_qs(environ.get("QUERY_STRING", "")).get("downMs") or ["1000"])[0])
                _restart_requests.append(min(max(down_ms, 0), 30_000))
                return _json_response(start_response, "200 OK", {"restarting": True, "downMs": down_ms})
            return _json_response(start_response, "404 Not Found", {"error": f"no control route {method} {path}"})

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        described = _describe(environ, body)
        if described is not None:
            fault = _take_fault(described[0], described[1])
            if fault is not None and not fault.get("passThrough"):
                return _fault_response(start_response, environ, described[0], fault)
            _record(*described)
            if fault is not None:
                for _chunk in moto_app(environ, lambda *a, **k: None):
                    pass
                return _fault_response(start_response, environ, described[0], fault)
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
    app = build_app()
    server = make_server(host, port, app, threaded=True)
    port = server.server_address[1]
    print(f"MOTO_READY {port}", flush=True)
    if os.environ.get("MEDIC_MOTO_WATCH_STDIN", "1") == "1":
        threading.Thread(target=_exit_when_parent_goes, daemon=True).start()

    def restarter():
        # issue #5: stop listening for downMs, then listen again on the same port (state kept).
        nonlocal server
        while True:
            time.sleep(0.05)
            if not _restart_requests:
                continue
            down_ms = _restart_requests.pop(0)
            old = server
            old.shutdown()
            old.server_close()
            time.sleep(down_ms / 1000)
            server = make_server(host, port, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()

    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=restarter, daemon=True).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
