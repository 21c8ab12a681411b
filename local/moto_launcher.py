"""medic's moto launcher: a real moto server on loopback, plus a small control surface.

Why not plain `python3 -m moto.server`: the simulation and the tests must *see* which AWS calls
reached the endpoint (e.g. "RebootInstances for i-123 was called"), and they must be able to show
faults that moto cannot show on its own (moto reports every status check as `ok`, implements no
SSM agent inventory, and answers every Run Command with empty output). Both live in one WSGI
middleware in front of moto's own app, so every other request still goes through the real moto
backend. Test infrastructure only: used by `medic simulate` and the tests, never deployed.

Control routes (all under /_medic/, loopback only, used by `medic simulate` and tests only):
  GET    /_medic/health  -> {"ok": true}
  GET    /_medic/calls   -> {"calls": [{"seq", "at", "service", "action", "params"}...]}
  DELETE /_medic/calls   -> clears the record

Fault injection, per instance id; POST merges into what is already set for it:
  POST   /_medic/faults  body: {"instanceId": "i-...",                      (required)
                                "systemStatus": "impaired" | "ok" | ...,     EC2 DescribeInstanceStatus
                                "instanceStatus": "impaired" | "ok" | ...,     "   (running instances only)
                                "events": [{"code": "instance-retirement",      scheduled events
                                            "description": "...", "notBefore": ISO-8601}],
                                "ssmAgent": "Online" | "ConnectionLost" | null,  SSM agent inventory
                                "ssmOutput": {"stdout": "...", "stderr": "",     what Run Command prints
                                              "responseCode": 0, "status": "Success"}}
                          -> {"instanceId": ..., "faults": {...}}   (null removes a key)
  GET    /_medic/faults  -> {"faults": {"i-...": {...}}}
  DELETE /_medic/faults  -> clears every fault (POST /moto-api/reset clears them too)

What the faults change, and nothing else:
  - ec2 DescribeInstanceStatus: SystemStatus / InstanceStatus Status (details "failed" when
    impaired) and Events, for running instances (others stay "not-applicable", as in AWS).
  - ssm DescribeInstanceInformation (absent from moto 5.2): answered here from the registry:
    instances with "ssmAgent" set are listed with that PingStatus; others are not managed nodes.
  - ssm SendCommand: an instance whose agent is not "Online" is refused with InvalidInstanceId
    (as AWS does); for an online one, the invocation's StandardOutputContent, StandardErrorContent,
    ResponseCode and Status come from "ssmOutput" (moto's default: empty output, Success).
Metric data needs no fault: scenarios seed it with the ordinary CloudWatch PutMetricData call.

A start that fails after it was accepted (stop/start scenarios): moto starts every instance, but
AWS does not always. When an instance's EBS volumes use a customer-managed KMS key and the caller
may not have EC2 create a grant on it (kms:CreateGrant), StartInstances is accepted, the instance
goes pending and falls back to `stopped` with StateReason `Client.InternalError: Client error on
launch`. An instance tagged `medic-sim:start-fails=<StateReason code>` does the same here: after
each StartInstances it is `stopped` again, with that code (and AWS's message for it).

AWS error injection (fault matrix tests):
  POST   /_medic/errors   body {"service": "ec2", "action": "RebootInstances", "code": "RequestLimitExceeded",
                                "status": 503, "count": 2}
                          -> the next `count` matching API calls answer that AWS error (in the service's
                             own wire format) without reaching moto; "action": "*" matches any action;
                             with "passThrough": true the call DOES reach moto first and only its answer is
                             lost (a Lambda that crashed mid-action / a response lost on the way back)
  DELETE /_medic/errors   -> clears the rules
  POST   /_medic/restart?downMs=1500
                          -> closes the listening socket, stays down for downMs (clients see connection
                             refused), then listens again on the same port; moto's state survives (like a
                             restarted endpoint with persistence)

EventBridge TestEventPattern (absent from moto 5.2: its backend raises NotImplementedError) is
answered here with moto's own pattern matcher (moto.events.models.EventPattern, the one PutEvents
routes with), made as strict as EventBridge where moto is permissive:
  - a field inside an array of objects is matched the way EventBridge (Event Ruler) does: the
    array is "crushed" and the field's values from every element are matched as a list (moto stops
    flattening at arrays, so `detail.configuration.metrics.metricStat...` would never match);
  - an unknown operator (`{"exist": true}`) or an `$or` with fewer than two branches is an
    InvalidEventPatternException, as in EventBridge (moto would treat the filter as matching);
  - the event must carry the fields TestEventPattern requires (id, account, source, time, region,
    resources, detail-type).

CloudTrail event history (absent from moto 5.2: moto has no LookupEvents), answered from the calls
moto actually served: every mutating EC2, Auto Scaling and SSM call that moto answered with a 2xx
is kept as a management event with its time, the caller (the access key resolved the way moto's
STS GetCallerIdentity does: an assumed role's session, an IAM user, else moto's default user), its
region and its request parameters (EC2's query parameters in CloudTrail's own shape: camelCase,
lists as {"items": [...]}). LookupEvents answers in CloudTrail's documented shape (Events[].EventId,
EventName, ReadOnly, AccessKeyId, EventTime, EventSource, Username, Resources[{ResourceType,
ResourceName}], CloudTrailEvent as a JSON string), newest first, for the caller's account and
region, and is as strict as CloudTrail where it matters:
  - at most one LookupAttribute (InvalidLookupAttributesException), of the documented keys;
  - MaxResults 1..50 (InvalidMaxResultsException); StartTime after EndTime: InvalidTimeRangeException;
  - NextToken only as returned for the same query (InvalidNextTokenException);
  - two requests per second per account and region: a third within one second is a
    ThrottlingException ("Rate exceeded"), as AWS answers.
Calls moto refused (DryRun, errors) are not kept: CloudTrail would keep them with an errorCode,
and medic ignores those anyway. CodeDeploy's mutating calls are kept too, CreateDeployment with its
responseElements ({"deploymentId": ...}) as CloudTrail writes it.

CodeDeploy deployment targets (absent from moto 5.2: it serves create/get/list/batch-get of
deployments and groups, but not BatchGetDeploymentTargets / ListDeploymentTargets). When moto has
served a CreateDeployment, its EC2 targets are resolved from what moto holds, as CodeDeploy does at
creation: the running instances matching the group's ec2TagFilters (any filter; KEY_ONLY,
VALUE_ONLY, KEY_AND_VALUE) or its ec2TagSet (every set, any filter within a set), plus the
instances of its autoScalingGroups. There is no agent here: each target completes at once
(Succeeded, every lifecycle event Succeeded) and the deployment becomes Succeeded. The two calls
answer in CodeDeploy's documented shape (deploymentTargets[].instanceTarget with deploymentId,
targetId = the instance id, targetArn, status, lastUpdatedAt, lifecycleEvents), as strict as AWS:
  - no deploymentId: DeploymentIdRequiredException; unknown: DeploymentDoesNotExistException;
  - no targetIds: DeploymentTargetIdRequiredException; more than 25:
    DeploymentTargetListSizeExceededException; an id that is not one of the deployment's targets:
    DeploymentTargetDoesNotExistException (the whole call fails, as AWS's does).
moto writes a deployment's createTime/startTime/completeTime as ISO strings, which no SDK reads:
BatchGetDeployments and GetDeployment answer them in epoch seconds, as CodeDeploy does.
  GET    /_medic/trail   -> {"events": [...]}  (the kept events, oldest first; tests only)
Many accounts (one medic for an AWS Organization): moto keys its data by the account of the
caller's access key, and STS AssumeRole answers keys that moto binds to the role's account. moto
lets anyone assume any role ARN, existing or not; AWS does not. Here AssumeRole is refused with
AccessDenied (403, as STS answers) unless the role exists in its account, its trust policy names
the caller's account as AWS principal and, when it has an `sts:ExternalId` StringEquals condition,
the request carries that external id. (aws:PrincipalArn conditions are not evaluated locally.)
  POST   /_medic/member-role  body {"account": "111111111111", "roleName": "medic-member",
                                    "trustedAccount": "123456789012", "externalId": "..."}
                          -> creates the member stack's execution role in that account (trust policy
                             only: moto evaluates no permissions), as `aws cloudformation deploy` of
                             the member stack would; {"roleArn": ...}
Every recorded call also carries "account": the account moto answered it in, and "region": the
region its signature names.

Prints one line `MOTO_READY <port>` on stdout once listening, and exits when stdin closes so a
crashed parent never leaves an orphan server behind.
"""

import base64
import hashlib
import io
import json
import os
import re
import sys
import uuid
import threading
import time
from datetime import datetime, timezone
import re
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

import logging

import moto.backends as _moto_backends
from moto.ec2.models.instances import Instance as _MotoInstance
from moto.ec2.models.instances import StateReason as _StateReason
from moto.events.models import EventPattern as _MotoEventPattern
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.ssm.models import Command as _MotoCommand
from werkzeug.serving import make_server

# Storm bench: moto looks its backends up per request by listing its own package
# directory (~57 stat calls, ~0.8 ms of a ~3.6 ms PutItem). The list cannot change while it runs.
_MOTO_MODULES = tuple(_moto_backends.list_of_moto_modules())
_moto_backends.list_of_moto_modules = lambda: _MOTO_MODULES
# moto also lists each response class's methods per request (inspect.getmembers, ~0.25 ms);
# classes do not grow methods at run time.
import functools

import moto.core.responses as _moto_responses

_moto_responses.method_names_from_class = functools.lru_cache(maxsize=None)(
    _moto_responses.method_names_from_class
)
# One log line per request on stderr costs time and says nothing the call record does not.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

MAX_RECORDED_CALLS = 10_000
MAX_SSM_OUTPUT = 24_000  # what SSM returns inline in StandardOutputContent

_calls = []
_calls_lock = threading.Lock()
_dynamodb_lock = threading.Lock()

_faults = {}
_faults_lock = threading.Lock()
FAULT_KEYS = ("systemStatus", "instanceStatus", "events", "ssmAgent", "ssmOutput")


def _fault(instance_id, key):
    with _faults_lock:
        return _faults.get(instance_id, {}).get(key)


def _check_status(original, override):
    def status(self):
        value = original.fget(self)
        wanted = _fault(self.id, override)
        if wanted is None or value.get("Status") == "not-applicable":
            return value
        passed = "passed" if wanted == "ok" else "failed"
        return {"Details": [{"Name": "reachability", "Status": passed}], "Status": wanted}

    return property(status)


def _events(self):
    if self.state_code != 16:
        return []
    out = []
    for i, e in enumerate(_fault(self.id, "events") or []):
        item = {
            "Code": e.get("code", "system-maintenance"),
            "Description": e.get("description", ""),
            "InstanceEventId": f"instance-event-{i:017d}",
        }
        if e.get("notBefore"):
            item["NotBefore"] = datetime.fromisoformat(e["notBefore"].replace("Z", "+00:00"))
        out.append(item)
    return out


def _invocation_response(original):
    def invocation_response(self, instance_id, plugin_name):
        response = original(self, instance_id, plugin_name)
        output = _fault(instance_id, "ssmOutput")
        if output:
            status = output.get("status", "Success")
            response.update(
                {
                    "StandardOutputContent": str(output.get("stdout", ""))[:MAX_SSM_OUTPUT],
                    "StandardErrorContent": str(output.get("stderr", ""))[:8_000],
                    "ResponseCode": int(output.get("responseCode", 0)),
                    "Status": status,
                    "StatusDetails": status,
                }
            )
        return response

    return invocation_response


START_FAILS_TAG = "medic-sim:start-fails"
# What EC2 says in StateReason.Message for the codes a failed launch reports.
START_FAILURE_MESSAGES = {
    "Client.InternalError": "Client.InternalError: Client error on launch",
    "Server.InternalError": "Server.InternalError: Internal error on launch",
    "Server.InsufficientInstanceCapacity": "Server.InsufficientInstanceCapacity: Insufficient capacity",
}


def _start(original):
    def start(self):
        previous = original(self)
        code = next((t.get("value") for t in self.get_tags() if t.get("key") == START_FAILS_TAG), None)
        if code:
            # As AWS does after accepting the call: back to stopped, with the launch failure's reason.
            self._state.name = "stopped"
            self._state.code = 80
            self._reason = f"Service initiated ({datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')})"
            self.state_reason = _StateReason(START_FAILURE_MESSAGES.get(code, f"{code}: launch failed"), code)
        return previous

    return start


# The patches: moto's own classes, changed only where a fault is registered for the instance.
_MotoInstance.instance_status = _check_status(_MotoInstance.instance_status, "instanceStatus")
_MotoInstance.system_status = _check_status(_MotoInstance.system_status, "systemStatus")
_MotoInstance.events = property(_events)
_MotoCommand.invocation_response = _invocation_response(_MotoCommand.invocation_response)
_MotoInstance.start = _start(_MotoInstance.start)


def _set_faults(payload):
    instance_id = payload.get("instanceId") if isinstance(payload, dict) else None
    if not isinstance(instance_id, str) or not instance_id:
        raise ValueError("body must be a JSON object with instanceId")
    unknown = [k for k in payload if k not in FAULT_KEYS and k != "instanceId"]
    if unknown:
        raise ValueError(f"unknown fault keys {unknown}; known: {list(FAULT_KEYS)}")
    with _faults_lock:
        current = _faults.setdefault(instance_id, {})
        for key in FAULT_KEYS:
            if key in payload:
                if payload[key] is None:
                    current.pop(key, None)
                else:
                    current[key] = payload[key]
        return instance_id, dict(current)


def _ssm_error(start_response, code, message):
    data = json.dumps({"__type": code, "message": message}).encode()
    start_response(
        "400 Bad Request",
        [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _ssm_override(action, params, start_response):
    """Answers the SSM calls moto lacks or fakes; None lets moto answer."""
    if action == "DescribeInstanceInformation":
        wanted = None
        for f in params.get("Filters") or []:
            if f.get("Key") == "InstanceIds":
                wanted = set(f.get("Values") or [])
        for f in params.get("InstanceInformationFilterList") or []:
            if f.get("key") == "InstanceIds":
                wanted = set(f.get("valueSet") or [])
        with _faults_lock:
            agents = {i: f["ssmAgent"] for i, f in _faults.items() if f.get("ssmAgent")}
        now = datetime.now(timezone.utc).timestamp()
        items = [
            {
                "InstanceId": i,
                "PingStatus": ping,
                "LastPingDateTime": now if ping == "Online" else now - 3_600,
                "AgentVersion": "3.3.0.0",
                "PlatformType": "Linux",
                "PlatformName": "Amazon Linux",
                "ResourceType": "EC2Instance",
            }
            for i, ping in sorted(agents.items())
            if wanted is None or i in wanted
        ]
        return _json_response(start_response, "200 OK", {"InstanceInformationList": items})
    if action == "SendCommand":
        for instance_id in params.get("InstanceIds") or []:
            if _fault(instance_id, "ssmAgent") != "Online":
                return _ssm_error(
                    start_response,
                    "InvalidInstanceId",
                    f"Instances [[{instance_id}]] not in a valid state for account",
                )
    return None


def _record(service, action, params, account=None, region=None):
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
                "account": account,
                "region": region,
            }
        )


def _access_key_from_auth(environ):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        return auth.split("Credential=")[1].split("/")[0]
    except IndexError:
        return ""


def _region_of(environ):
    # The region the caller signed for (SigV4 credential scope: key/date/region/service/aws4_request):
    # the region AWS would have answered in.
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        return auth.split("Credential=")[1].split("/")[2]
    except IndexError:
        return None


def _account_of(environ):
    from moto.iam.models import get_account_id_from

    return get_account_id_from(_access_key_from_auth(environ))


# ---- STS AssumeRole as strict as AWS about the role and its trust policy (see the header) ----
_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$")


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _trusts(statement, caller_account, external_id):
    if statement.get("Effect") != "Allow" or "sts:AssumeRole" not in _as_list(statement.get("Action")):
        return False
    principals = _as_list((statement.get("Principal") or {}).get("AWS") or [])
    if not any(p in (caller_account, f"arn:aws:iam::{caller_account}:root") or
               (isinstance(p, str) and p.startswith(f"arn:aws:iam::{caller_account}:")) for p in principals):
        return False
    wanted = ((statement.get("Condition") or {}).get("StringEquals") or {}).get("sts:ExternalId")
    return wanted is None or external_id in _as_list(wanted)


def _assume_role_refusal(params, environ):
    """None when STS would let the caller assume the role; else its AccessDenied message."""
    from moto.iam.models import iam_backends

    arn = params.get("RoleArn") or ""
    caller_account = _account_of(environ)
    denied = (
        f"User: arn:aws:sts::{caller_account}:assumed-role/medic-local/medic is not authorized to "
        f"perform: sts:AssumeRole on resource: {arn}"
    )
    match = _ROLE_ARN.match(arn)
    if not match:
        return denied
    partition, account, name = match.groups()
    role = next((r for r in iam_backends[account][partition].roles.values() if r.name == name), None)
    if role is None:
        return denied
    try:
        document = json.loads(unquote(role.assume_role_policy_document))
    except ValueError:
        return denied
    statements = _as_list(document.get("Statement") or [])
    if not any(_trusts(st, caller_account, params.get("ExternalId")) for st in statements):
        return denied
    return None


def _sts_access_denied(start_response, message):
    data = (
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
        f"<Code>AccessDenied</Code><Message>{escape(message)}</Message></Error>"
        "<RequestId>medic-local</RequestId></ErrorResponse>"
    ).encode()
    start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
    return [data]


def _create_member_role(payload):
    from moto.iam.models import iam_backends

    account = str(payload["account"])
    name = payload.get("roleName") or "medic-member"
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{payload['trustedAccount']}:root"},
        "Action": "sts:AssumeRole",
    }
    if payload.get("externalId"):
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": payload["externalId"]}}
    backend = iam_backends[account]["aws"]
    existing = next((r for r in backend.roles.values() if r.name == name), None)
    if existing is not None:
        backend.delete_role(name)
    role = backend.create_role(
        role_name=name,
        assume_role_policy_document=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        path="/",
        permissions_boundary=None,
        description="medic member execution role (local)",
        tags=[{"Key": "medic:managed-by", "Value": "medic"}],
        max_session_duration="3600",
    )
    return {"roleArn": role.arn}


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


# ---- AWS error rules and restarts ----
_error_rules = []
_error_rules_lock = threading.Lock()
_restart_requests = []


def _take_error_rule(service, action):
    with _error_rules_lock:
        for rule in _error_rules:
            if rule.get("count", 0) <= 0:
                continue
            if rule.get("service") not in (None, "*", service):
                continue
            if rule.get("action") not in (None, "*", action):
                continue
            rule["count"] -= 1
            return dict(rule)
    return None


def _error_response(start_response, environ, service, rule):
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


# ---- EventBridge TestEventPattern (see the header) ----
_PATTERN_OPERATORS = {
    "prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr", "wildcard",
}
_TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


class _PatternError(ValueError):
    pass


def _crush(node, prefix, out):
    """Leaf path -> value, with arrays of objects crushed into lists of their leaves' values."""
    if isinstance(node, dict) and node:
        for key, value in node.items():
            _crush(value, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(node, list) and any(isinstance(item, (dict, list)) for item in node):
        for item in node:
            if isinstance(item, (dict, list)):
                _crush(item, prefix, out)
            else:
                _add_leaf(out, prefix, item)
    else:
        _add_leaf(out, prefix, node)
    return out


def _add_leaf(out, path, value):
    if path not in out:
        out[path] = value
        return
    current = out[path]
    merged = current if isinstance(current, list) else [current]
    merged.extend(value if isinstance(value, list) else [value])
    out[path] = merged


_MotoEventPattern._flatten_dict = staticmethod(lambda node, prefix="", result=None: _crush(node, prefix, {}))


def _check_pattern(node, where="pattern"):
    if not isinstance(node, dict):
        raise _PatternError(f"{where} must be an object")
    for key, value in node.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise _PatternError(f"{where}.$or must be an array of at least two patterns")
            for i, branch in enumerate(value):
                _check_pattern(branch, f"{where}.$or[{i}]")
        elif isinstance(value, dict):
            _check_pattern(value, f"{where}.{key}")
        elif isinstance(value, list):
            if not value:
                raise _PatternError(f"{where}.{key}: empty arrays are not allowed")
            for item in value:
                if isinstance(item, dict):
                    if len(item) != 1 or next(iter(item)) not in _PATTERN_OPERATORS:
                        raise _PatternError(f"{where}.{key}: unrecognized match type {json.dumps(item)}")
                    name, arg = next(iter(item.items()))
                    if name == "anything-but" and isinstance(arg, dict):
                        if len(arg) != 1 or next(iter(arg)) not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
                            raise _PatternError(f"{where}.{key}: unsupported anything-but {json.dumps(arg)}")
                    if name == "exists" and not isinstance(arg, bool):
                        raise _PatternError(f"{where}.{key}: exists takes true or false")
        else:
            raise _PatternError(f"{where}.{key} must be an object or an array")


def _test_event_pattern(params, start_response):
    def invalid(kind, message):
        data = json.dumps({"__type": kind, "message": message}).encode()
        start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))])
        return [data]

    try:
        pattern = json.loads(params.get("EventPattern") or "")
        _check_pattern(pattern)
    except (ValueError, TypeError) as error:
        return invalid("InvalidEventPatternException", f"Event pattern is not valid. Reason: {error}")
    try:
        event = json.loads(params.get("Event") or "")
    except ValueError:
        return invalid("ValidationException", "Parameter Event is not valid.")
    missing = [f for f in _TEST_EVENT_FIELDS if not isinstance(event, dict) or f not in event]
    if missing:
        return invalid("ValidationException", f"Parameter Event is not valid: missing {', '.join(missing)}")
    result = _MotoEventPattern(params.get("EventPattern"), pattern).matches_event(event)
    return _json_response(start_response, "200 OK", {"Result": bool(result)})


# ---- CloudTrail event history (see the header) ----
MAX_TRAIL_EVENTS = 5_000
LOOKUP_RATE_PER_SECOND = 2
_trail = []
_trail_lock = threading.Lock()
_lookups = {}
_TRAIL_SOURCES = {
    "ec2": "ec2.amazonaws.com",
    "autoscaling": "autoscaling.amazonaws.com",
    "ssm": "ssm.amazonaws.com",
    "codedeploy": "codedeploy.amazonaws.com",
}
_READ_ONLY = re.compile(r"^(Describe|Get|List|Lookup|Search|Test)")
_LOOKUP_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId")
# Parameter name -> CloudTrail resource type, for the Resources list of an event.
_RESOURCE_PARAMS = (
    ("GroupId", "AWS::EC2::SecurityGroup"),
    ("InstanceId", "AWS::EC2::Instance"),
    ("InstanceIds", "AWS::EC2::Instance"),
    ("VolumeId", "AWS::EC2::Volume"),
    ("NetworkInterfaceId", "AWS::EC2::NetworkInterface"),
    ("AutoScalingGroupName", "AWS::AutoScaling::AutoScalingGroup"),
    ("DocumentName", "AWS::SSM::Document"),
)


def _auth_scope(environ):
    # Credential=AKID/20250101/us-east-1/ec2/aws4_request
    try:
        scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[1].split(",")[0].split("/")
        return scope[0], scope[2]
    except IndexError:
        return "", "us-east-1"


def _identity(access_key, region):
    """userIdentity as CloudTrail writes it, resolved as moto's STS GetCallerIdentity resolves the key."""
    from moto.iam.models import get_account_id_from
    from moto.sts.models import sts_backends

    account = get_account_id_from(access_key)
    backend = sts_backends[account]["aws"]
    role = backend.get_assumed_role_from_access_key(access_key)
    if role is not None:
        session = role.arn.rsplit("/", 1)[-1]
        return {
            "type": "AssumedRole",
            "principalId": f"{role.user_id}",
            "arn": role.arn,
            "accountId": role.account_id,
            "accessKeyId": access_key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role.role_arn, "accountId": role.account_id}},
        }, session
    user_id, arn, account_id = backend.get_caller_identity(access_key, region)
    name = arn.rsplit("/", 1)[-1]
    return {
        "type": "IAMUser",
        "principalId": user_id,
        "arn": arn,
        "accountId": account_id,
        "accessKeyId": access_key,
        "userName": name,
    }, name


def _camel(key):
    return key[:1].lower() + key[1:]


def _query_to_trail(params):
    """EC2/Auto Scaling query parameters (IpPermissions.1.FromPort=22) in CloudTrail's shape."""
    root = {}
    for key, value in params.items():
        if key in ("DryRun",):
            continue
        parts = key.split(".")
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part.isdigit():
                items = node.setdefault("items", [])
                index = int(part) - 1
                while len(items) <= index:
                    items.append({})
                if last:
                    items[index] = value
                else:
                    node = items[index]
                continue
            name = _camel(part)
            if last:
                node[name] = int(value) if isinstance(value, str) and re.fullmatch(r"-?\d+", value) else value
            else:
                node = node.setdefault(name, {})
    # A list of plain values ({"items": ["i-1"]}) is written as such; leave single values alone.
    return root


def _json_to_trail(value):
    if isinstance(value, dict):
        return {_camel(k): _json_to_trail(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_to_trail(v) for v in value]
    return value


def _resources(params):
    out = []
    for name, kind in _RESOURCE_PARAMS:
        for key, value in params.items():
            if key == name or re.fullmatch(rf"{name}\.\d+", key):
                values = value if isinstance(value, list) else [value]
                out.extend({"ResourceType": kind, "ResourceName": str(v)} for v in values if v)
    seen, unique = set(), []
    for r in out:
        if r["ResourceName"] not in seen:
            seen.add(r["ResourceName"])
            unique.append(r)
    return unique


def _keep_trail_event(environ, service, action, params, response=None):
    if service not in _TRAIL_SOURCES or _READ_ONLY.match(action):
        return
    access_key, region = _auth_scope(environ)
    try:
        identity, username = _identity(access_key, region)
    except Exception:  # an unknown key is still an event: CloudTrail would name the key
        identity, username = {"type": "Unknown", "accessKeyId": access_key}, None
    now = datetime.now(timezone.utc)
    event_id = str(uuid.uuid4())
    is_json = bool(environ.get("HTTP_X_AMZ_TARGET"))
    record = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": _TRAIL_SOURCES[service],
        "eventName": action,
        "awsRegion": region,
        "sourceIPAddress": environ.get("REMOTE_ADDR", "127.0.0.1"),
        "userAgent": environ.get("HTTP_USER_AGENT", ""),
        "requestParameters": _json_to_trail(params) if is_json else _query_to_trail(params),
        "responseElements": response,
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": identity.get("accountId", ""),
        "eventCategory": "Management",
    }
    with _trail_lock:
        if len(_trail) >= MAX_TRAIL_EVENTS:
            del _trail[0]
        _trail.append(
            {
                "EventId": event_id,
                "EventName": action,
                "ReadOnly": "false",
                "AccessKeyId": access_key,
                "EventTime": now.timestamp(),
                "EventSource": _TRAIL_SOURCES[service],
                "Username": username,
                "Resources": _resources(params if not is_json else {k: v for k, v in params.items()}),
                "CloudTrailEvent": json.dumps(record),
                "_account": identity.get("accountId", ""),
                "_region": region,
            }
        )


def _cloudtrail_error(start_response, code, message):
    data = json.dumps({"__type": code, "message": message}).encode()
    start_response(
        "400 Bad Request",
        [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _lookup_events(environ, params, start_response):
    access_key, region = _auth_scope(environ)
    from moto.iam.models import get_account_id_from

    account = get_account_id_from(access_key)
    now = time.monotonic()
    with _trail_lock:
        recent = [t for t in _lookups.get((account, region), []) if now - t < 1.0]
        if len(recent) >= LOOKUP_RATE_PER_SECOND:
            _lookups[(account, region)] = recent
            return _cloudtrail_error(start_response, "ThrottlingException", "Rate exceeded")
        _lookups[(account, region)] = recent + [now]
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        return _cloudtrail_error(
            start_response, "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute."
        )
    attribute = attributes[0] if attributes else None
    if attribute is not None and (attribute.get("AttributeKey") not in _LOOKUP_KEYS or not attribute.get("AttributeValue")):
        return _cloudtrail_error(
            start_response, "InvalidLookupAttributesException", f"Invalid lookup attribute {json.dumps(attribute)}."
        )
    max_results = params.get("MaxResults", 50)
    if not isinstance(max_results, int) or not 1 <= max_results <= 50:
        return _cloudtrail_error(start_response, "InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    start = params.get("StartTime")
    end = params.get("EndTime")
    if start is not None and end is not None and float(start) > float(end):
        return _cloudtrail_error(start_response, "InvalidTimeRangeException", "StartTime is after EndTime.")
    query = hashlib.sha256(json.dumps([attribute, start, end], sort_keys=True).encode()).hexdigest()[:16]
    offset = 0
    token = params.get("NextToken")
    if token:
        try:
            decoded = json.loads(base64.b64decode(token))
            if decoded["q"] != query:
                raise ValueError("another query")
            offset = int(decoded["o"])
        except (ValueError, KeyError, TypeError):
            return _cloudtrail_error(start_response, "InvalidNextTokenException", "Invalid NextToken.")

    def matches(e):
        if e["_account"] != account or e["_region"] != region:
            return False
        if start is not None and e["EventTime"] < float(start):
            return False
        if end is not None and e["EventTime"] > float(end):
            return False
        if attribute is None:
            return True
        key, value = attribute["AttributeKey"], attribute["AttributeValue"]
        if key == "ResourceName":
            return any(r["ResourceName"] == value for r in e["Resources"])
        if key == "ResourceType":
            return any(r["ResourceType"] == value for r in e["Resources"])
        return str(e.get(key)) == value

    with _trail_lock:
        found = [e for e in reversed(_trail) if matches(e)]
    page = found[offset : offset + max_results]
    body = {"Events": [{k: v for k, v in e.items() if not k.startswith("_") and v is not None} for e in page]}
    if offset + max_results < len(found):
        body["NextToken"] = base64.b64encode(json.dumps({"q": query, "o": offset + max_results}).encode()).decode()
    return _json_response(start_response, "200 OK", body)


# ---- CodeDeploy deployment targets (see the header) ----
_deployment_targets = {}
MAX_TARGET_IDS = 25
_LIFECYCLE = ("BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic", "ApplicationStop", "DownloadBundle",
              "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService",
              "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")


def _tag_filter_matches(f, tags):
    kind = f.get("Type") or f.get("type") or "KEY_AND_VALUE"
    key = f.get("Key") if "Key" in f else f.get("key")
    value = f.get("Value") if "Value" in f else f.get("value")
    if kind == "KEY_ONLY":
        return key in tags
    if kind == "VALUE_ONLY":
        return value in tags.values()
    return key in tags and tags[key] == value


def _resolve_deployment_targets(environ, deployment_id):
    if not deployment_id:
        return
    from moto.autoscaling.models import autoscaling_backends
    from moto.codedeploy.models import codedeploy_backends
    from moto.ec2.models import ec2_backends

    account, region = _account_of(environ), _region_of(environ) or "us-east-1"
    deployment = codedeploy_backends[account][region].deployments.get(deployment_id)
    if deployment is None:
        return
    group = deployment.deployment_group
    running = [i for i in ec2_backends[account][region].all_instances() if i.state == "running"]
    targets = []
    filters = group.ec2_tag_filters or []
    tag_set = (group.ec2_tag_set or {}).get("ec2TagSetList") or []
    for instance in running:
        tags = {t["key"]: t["value"] for t in instance.get_tags()}
        by_filters = bool(filters) and any(_tag_filter_matches(f, tags) for f in filters)
        by_set = bool(tag_set) and all(any(_tag_filter_matches(f, tags) for f in group_filters) for group_filters in tag_set)
        if by_filters or by_set:
            targets.append(instance.id)
    asgs = autoscaling_backends[account][region].autoscaling_groups
    for name in group.auto_scaling_groups or []:
        asg = asgs.get(name if isinstance(name, str) else name.get("name"))
        for state in asg.instance_states if asg else []:
            if state.instance.id not in targets:
                targets.append(state.instance.id)
    now = datetime.now(timezone.utc).timestamp()
    with _trail_lock:
        _deployment_targets[deployment_id] = {
            "account": account,
            "region": region,
            "targets": {iid: {"status": "Succeeded", "lastUpdatedAt": now} for iid in targets},
        }
    # No agent runs here: the deployment completes on its targets at once.
    deployment.status = "Succeeded"
    deployment.deployment_overview["Succeeded"] = len(targets)
    deployment.complete_time = deployment.create_time


_DEPLOYMENT_READS = ("BatchGetDeployments", "GetDeployment")
_DEPLOYMENT_TIMES = ("createTime", "startTime", "completeTime")


def _epoch(value):
    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return value


def _epoch_deployment_times(moto_app, environ, start_response):
    """moto writes a deployment's times as ISO strings; CodeDeploy (and every SDK) uses epoch seconds."""
    served = {}

    def capture(status, headers, exc_info=None):
        served["status"], served["headers"] = status, headers

    body = b"".join(moto_app(environ, capture))
    if served.get("status", "").startswith("2"):
        try:
            payload = json.loads(body)
            for info in payload.get("deploymentsInfo") or [payload.get("deploymentInfo") or {}]:
                for key in _DEPLOYMENT_TIMES:
                    if info.get(key) is not None:
                        info[key] = _epoch(info[key])
            body = json.dumps(payload).encode()
        except (ValueError, AttributeError):
            pass
    headers = [(k, v) for k, v in served.get("headers", []) if k.lower() != "content-length"]
    start_response(served.get("status", "500 Internal Server Error"), headers + [("Content-Length", str(len(body)))])
    return [body]


def _codedeploy_error(start_response, code, message):
    return _cloudtrail_error(start_response, code, message)


def _instance_target(entry, deployment_id, instance_id):
    target = entry["targets"][instance_id]
    return {
        "deploymentTargetType": "InstanceTarget",
        "instanceTarget": {
            "deploymentId": deployment_id,
            "targetId": instance_id,
            "targetArn": f"arn:aws:ec2:{entry['region']}:{entry['account']}:instance/{instance_id}",
            "status": target["status"],
            "lastUpdatedAt": target["lastUpdatedAt"],
            "lifecycleEvents": [
                {"lifecycleEventName": name, "status": target["status"], "startTime": target["lastUpdatedAt"],
                 "endTime": target["lastUpdatedAt"]}
                for name in _LIFECYCLE[3:10]
            ],
        },
    }


def _deployment_targets_call(environ, action, params, start_response):
    deployment_id = params.get("deploymentId")
    if not deployment_id:
        return _codedeploy_error(start_response, "DeploymentIdRequiredException", "At least one deployment ID must be specified.")
    with _trail_lock:
        entry = _deployment_targets.get(deployment_id)
    if entry is None or entry["account"] != _account_of(environ) or entry["region"] != (_region_of(environ) or "us-east-1"):
        return _codedeploy_error(start_response, "DeploymentDoesNotExistException", f"The deployment {deployment_id} could not be found.")
    if action == "ListDeploymentTargets":
        return _json_response(start_response, "200 OK", {"targetIds": sorted(entry["targets"])})
    ids = params.get("targetIds")
    if not ids:
        return _codedeploy_error(start_response, "DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
    if len(ids) > MAX_TARGET_IDS:
        return _codedeploy_error(
            start_response, "DeploymentTargetListSizeExceededException", "The maximum number of targets that can be specified is 25."
        )
    missing = [i for i in ids if i not in entry["targets"]]
    if missing:
        return _codedeploy_error(
            start_response,
            "DeploymentTargetDoesNotExistException",
            f"The provided target ID {missing[0]} does not belong to the attempted deployment {deployment_id}.",
        )
    return _json_response(
        start_response, "200 OK", {"deploymentTargets": [_instance_target(entry, deployment_id, i) for i in ids]}
    )


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
            if path == "/_medic/trail" and method == "GET":
                with _trail_lock:
                    snapshot = [{k: v for k, v in e.items() if not k.startswith("_")} for e in _trail]
                return _json_response(start_response, "200 OK", {"events": snapshot})
            if path == "/_medic/faults" and method == "GET":
                with _faults_lock:
                    snapshot = json.loads(json.dumps(_faults))
                return _json_response(start_response, "200 OK", {"faults": snapshot})
            if path == "/_medic/member-role" and method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not re.match(r"^\d{12}$", str(payload.get("account"))) or not re.match(
                    r"^\d{12}$", str(payload.get("trustedAccount"))
                ):
                    return _json_response(start_response, "400 Bad Request", {"error": "account and trustedAccount must be 12-digit ids"})
                return _json_response(start_response, "200 OK", _create_member_role(payload))
            if path == "/_medic/errors" and method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                rule = json.loads(environ["wsgi.input"].read(length) or b"{}")
                with _error_rules_lock:
                    _error_rules.append(rule)
                return _json_response(start_response, "200 OK", {"rules": len(_error_rules)})
            if path == "/_medic/errors" and method == "DELETE":
                with _error_rules_lock:
                    _error_rules.clear()
                return _json_response(start_response, "200 OK", {"cleared": True})
            if path == "/_medic/faults" and method == "DELETE":
                with _faults_lock:
                    _faults.clear()
                return _json_response(start_response, "200 OK", {"cleared": True})
            if path == "/_medic/faults" and method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                try:
                    payload = json.loads(environ["wsgi.input"].read(length) or b"null")
                    instance_id, current = _set_faults(payload)
                except ValueError as error:
                    return _json_response(start_response, "400 Bad Request", {"error": str(error)})
                return _json_response(start_response, "200 OK", {"instanceId": instance_id, "faults": current})
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
            rule = _take_error_rule(described[0], described[1])
            if rule is not None and not rule.get("passThrough"):
                return _error_response(start_response, environ, described[0], rule)
            _record(*described, account=_account_of(environ), region=_region_of(environ))
            if rule is not None:
                for _chunk in moto_app(environ, lambda *a, **k: None):
                    pass
                return _error_response(start_response, environ, described[0], rule)
            service, action, params = described
            if service == "sts" and action == "AssumeRole":
                refusal = _assume_role_refusal(params, environ)
                if refusal is not None:
                    return _sts_access_denied(start_response, refusal)
            if service == "events" and action == "TestEventPattern":
                return _test_event_pattern(params, start_response)
            if service == "cloudtrail" and action == "LookupEvents":
                return _lookup_events(environ, params, start_response)
            if service == "codedeploy" and action in ("BatchGetDeploymentTargets", "ListDeploymentTargets"):
                return _deployment_targets_call(environ, action, params, start_response)
            if service == "ssm":
                overridden = _ssm_override(action, params, start_response)
                if overridden is not None:
                    return overridden
        if path == "/moto-api/reset" and method == "POST":
            with _trail_lock:
                _trail.clear()
                _lookups.clear()
                _deployment_targets.clear()
            with _faults_lock:
                _faults.clear()
            with _error_rules_lock:
                _error_rules.clear()
        if described is not None and described[0] == "dynamodb":
            # DynamoDB applies each write to an item atomically; moto does not (two UpdateItems that
            # both create one item race, and one set of attributes is lost). Serialise them, as the
            # fleet registry relies on that atomicity.
            with _dynamodb_lock:
                return list(moto_app(environ, start_response))
        if described is not None and described[0] == "codedeploy" and described[1] in _DEPLOYMENT_READS:
            return _epoch_deployment_times(moto_app, environ, start_response)
        if described is not None and described[0] in _TRAIL_SOURCES and not _READ_ONLY.match(described[1]):
            # Kept for LookupEvents only once moto has served it (a 2xx answer).
            served = {}

            def capture(status, headers, exc_info=None):
                served["status"] = status
                return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

            answer = list(moto_app(environ, capture))
            if served.get("status", "").startswith("2"):
                response = None
                if described[0] == "codedeploy":
                    try:
                        response = json.loads(b"".join(answer) or b"null")
                    except ValueError:
                        response = None
                    if described[1] == "CreateDeployment" and isinstance(response, dict):
                        _resolve_deployment_targets(environ, response.get("deploymentId"))
                _keep_trail_event(environ, *described, response=response)
            return answer
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
        # Stop listening for downMs, then listen again on the same port (state kept).
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
