"""Recorded AWS calls, and the IAM requests AWS would authorize for each (see `toolkit.iam_policy`).

Two recorders, one shape (`AwsCall`: service, operation, parameters, Region):
- `recording()` records every call boto3 makes in this process (the toolkit's deploy, smoke, rollback, status...)
  through botocore's `provide-client-params` event, plus the calls the local target makes in AWS's place (it runs
  an invocation itself, where Lambda would check `lambda:InvokeFunction`): `note()`;
- `calls_from_recording()` reads the emulator's request log (moto's recorder: method, URL, headers and body of
  each request Terraform sent) and names each request's operation and parameters from botocore's service models.

`iam_requests(call, account)` turns a call into what IAM evaluates: the action (the service authorization
reference's name, which differs from the API's for S3 and a few others), the resource ARN and the condition keys
the project's policies test, plus the permissions the call needs besides its own (passing a role, Lambda reading
the code from S3 with the caller's permissions). A call this module cannot map raises `UnmappedCall`, naming it:
a check never passes because a call was left out.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlparse

from .iam_policy import Request


class UnmappedCall(ValueError):
    """A recorded call this module does not know how to authorize."""


@dataclass(frozen=True)
class AwsCall:
    service: str  # botocore's service name: s3, lambda, logs, cloudwatch, ...
    operation: str  # botocore's operation name: PutObject, GetFunctionConfiguration, ...
    params: dict = field(default_factory=dict)
    region: str = ""
    source: str = "boto3"  # boto3 | emulator log | local target

    def describe(self) -> str:
        hint = next((str(self.params[k]) for k in _PARAM_HINTS if k in self.params), "")
        return f"{self.service}.{self.operation}" + (f" {hint}" if hint else "")


_PARAM_HINTS = (
    "Key",
    "FunctionName",
    "AlarmName",
    "Name",
    "RoleName",
    "QueueUrl",
    "QueueName",
    "logGroupName",
    "Bucket",
)

# --- recording in this process --------------------------------------------------------------------------------

_active: list[list[AwsCall]] = []
_active_lock = threading.Lock()
# Clients the local target creates to do what the Lambda service does (write the function's logs, fetch its code,
# deliver a failed event) carry this in their user agent: those calls are AWS's, not the caller's.
LOCAL_TARGET_AGENT = "vectora-local-target"


def note(service: str, operation: str, params: dict, region: str = "") -> None:
    """Record a call the local target makes in AWS's stead (an invocation it runs itself)."""
    with _active_lock:
        for calls in _active:
            calls.append(AwsCall(service, operation, dict(params), region, "local target"))


@contextmanager
def recording(session=None) -> Iterator[list[AwsCall]]:
    """Record every boto3 call made in this process while the block runs (clients created inside the block)."""
    import boto3

    calls: list[AwsCall] = []
    session = session or boto3.session.Session()

    def record(params, model, context=None, **_):
        config = (context or {}).get("client_config")
        if config is not None and LOCAL_TARGET_AGENT in (config.user_agent_extra or ""):
            return
        calls.append(
            AwsCall(
                model.service_model.service_name, model.name, dict(params), (context or {}).get("client_region", "")
            )
        )

    session.events.register("provide-client-params.*.*", record)
    previous = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = session
    with _active_lock:
        _active.append(calls)
    try:
        yield calls
    finally:
        with _active_lock:
            _active.remove(calls)
        boto3.DEFAULT_SESSION = previous
        session.events.unregister("provide-client-params.*.*", record)


# --- the emulator's request log -------------------------------------------------------------------------------

_SIGNING_TO_SERVICE = {"monitoring": "cloudwatch", "execute-api": "apigateway"}
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")


def calls_from_recording(lines: list[str], user_agent: str = "Terraform") -> list[AwsCall]:
    """The calls in moto's recording (one JSON request per line) whose User-Agent names `user_agent`, each named
    from botocore's service models. The toolkit's own calls during a Terraform command are left out: boto3's
    recorder has those, and some are made only on the emulator (its stale-state check lists the buckets)."""
    calls = []
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        agent = next((v for k, v in entry.get("headers", {}).items() if k.lower() == "user-agent"), "")
        if user_agent and user_agent not in agent:
            continue
        call = _parse_request(entry)
        if call is not None:
            calls.append(call)
    return calls


def _parse_request(entry: dict) -> AwsCall | None:
    headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    scope = _SCOPE.search(headers.get("authorization", ""))
    url = urlparse(entry["url"])
    if scope is None or url.path.startswith("/moto-api"):
        return None  # unsigned: the emulator's own API, not an AWS call
    service = _SIGNING_TO_SERVICE.get(scope["service"], scope["service"])
    body = entry.get("body") or b""
    if entry.get("body_encoded"):
        body = base64.b64decode(body)
    elif isinstance(body, str):
        body = body.encode()
    model = _service_model(service)
    query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    target = headers.get("x-amz-target")
    if target:
        return AwsCall(service, target.rsplit(".", 1)[-1], json.loads(body or b"{}"), scope["region"], "emulator log")
    if headers.get("smithy-protocol") == "rpc-v2-cbor":
        operation = url.path.rsplit("/operation/", 1)[-1]
        return AwsCall(service, operation, _cbor(body), scope["region"], "emulator log")
    form = parse_qs(body.decode("utf-8", "replace")) if b"Action=" in body[:200] else {}
    if "Action" in form or "Action" in query:
        params = _unflatten({k: v[0] for k, v in form.items()} | query)
        return AwsCall(service, params.pop("Action"), params, scope["region"], "emulator log")
    operation, labels = _rest_operation(model, entry["method"], url.path, query, service, headers)
    params = dict(labels)
    if body and headers.get("content-type", "").startswith("application/json"):
        try:
            params.update(json.loads(body))
        except ValueError:
            pass
    return AwsCall(service, operation, params, scope["region"], "emulator log")


def _unflatten(flat: dict) -> dict:
    """The query protocol's flattened names back to structures: `AlarmNames.member.1` → `AlarmNames: [...]`,
    `Tags.member.1.Key` → `Tags: [{"Key": ...}]`, `Attributes.entry.1.key/value` → a map."""
    tree: dict = {}
    for name, value in flat.items():
        parts = name.split(".")
        node = tree
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _collapse(tree)


def _collapse(node):
    if not isinstance(node, dict):
        return node
    for marker in ("member", "entry"):
        if set(node) == {marker} and isinstance(node[marker], dict):
            items = [
                _collapse(v)
                for _k, v in sorted(node[marker].items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
            ]
            if marker == "entry":
                return {item.get("key"): item.get("value") for item in items if isinstance(item, dict)}
            return items
    return {key: _collapse(value) for key, value in node.items()}


@functools.cache
def _service_model(service: str):
    """The service's model as botocore ships it, from a loader of its own: botocore strips `/{Bucket}` from S3's
    request URIs in place the first time a client calls an operation, and a loader shared with the clients (the
    test suite shares one between sessions) would hand that stripped model back."""
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    return ServiceModel(Loader().load_service_model(service, "service-2"), service_name=service)


def _cbor(body: bytes) -> dict:
    if not body:
        return {}
    from botocore.parsers import BaseCBORParser

    return BaseCBORParser().parse_data_item(io.BytesIO(body))


_LABEL = re.compile(r"\{([^}]+)\}")


def _rest_operation(model, method: str, path: str, query: dict, service: str, headers: dict) -> tuple[str, dict]:
    """The REST operation whose method, URI template, required query keys and required headers match the request
    (the most specific one: PutObject and CopyObject share a URI, the copy source header tells them apart)."""
    best: tuple[int, str, dict] | None = None
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        if http.get("method") != method:
            continue
        template, _, template_query = http.get("requestUri", "/").partition("?")
        labels = _match_template(template, path, service)
        if labels is None:
            continue
        needed = [part.split("=")[0] for part in template_query.split("&") if part]
        if not all(key in query for key in needed):
            continue
        values_match = all(
            query.get(k) == v for k, _, v in (p.partition("=") for p in template_query.split("&") if "=" in p)
        )
        if not values_match:
            continue
        shape = operation.input_shape
        required_headers = [
            member.serialization.get("name", "").lower()
            for key, member in (shape.members.items() if shape else [])
            if key in shape.required_members and member.serialization.get("location") == "header"
        ]
        if not all(header in headers for header in required_headers):
            continue
        score = len(needed) * 100 + len(required_headers) * 50 + len(template) - 10 * template.count("{")
        if best is None or score > best[0]:
            best = (score, name, labels)
    if best is None:
        raise UnmappedCall(f"{service} {method} {path}: no operation of the service model matches")
    return best[1], best[2]


def _match_template(template: str, path: str, service: str) -> dict | None:
    pattern, names = "", []
    position = 0
    for match in _LABEL.finditer(template):
        pattern += re.escape(template[position : match.start()])
        name = match.group(1)
        greedy = name.endswith("+")
        names.append(name.rstrip("+"))
        pattern += "(.+)" if greedy else "([^/]+)"
        position = match.end()
    pattern += re.escape(template[position:])
    found = re.fullmatch(pattern + "/?", path)
    if found is None:
        return None
    return {name: unquote(value) for name, value in zip(names, found.groups(), strict=True)}


# --- what IAM authorizes for a call ---------------------------------------------------------------------------

_PREFIX = {"bedrock-runtime": "bedrock", "cloudwatch": "cloudwatch"}
# Operations that need no permission at all.
_FREE = {("sts", "GetCallerIdentity")}
# S3 API names whose IAM action differs (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations.html,
# "Permissions" of each operation).
_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "DeleteObjects": "DeleteObject",
}
_S3_OBJECT_OPERATIONS = {"GetObject", "HeadObject", "PutObject", "DeleteObject", "GetObjectTagging", "PutObjectTagging"}
_LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeFunction"}


def iam_requests(call: AwsCall, account: str) -> list[Request]:
    """What IAM authorizes for `call` made by an identity of `account`: empty for calls that need no permission."""
    if (call.service, call.operation) in _FREE:
        return []
    mapper = _MAPPERS.get(call.service)
    if mapper is None:
        raise UnmappedCall(f"{call.describe()}: no IAM mapping for the {call.service} service")
    region = call.region or "us-east-1"
    return [
        Request(action, resource, context, call.describe())
        for action, resource, context in mapper(call, call.params, region, account)
    ]


def _s3(call, p, region, account):
    operation = call.operation
    action = "s3:" + _S3_ACTIONS.get(operation, operation)
    bucket = p.get("Bucket", "")
    if operation == "CreateBucket" or operation.startswith(("GetBucket", "PutBucket", "DeleteBucket", "ListObject")):
        context = {"s3:prefix": p.get("Prefix", "")} if action == "s3:ListBucket" else {}
        return [(action, f"arn:aws:s3:::{bucket}", context)]
    if operation in ("HeadBucket", "GetPublicAccessBlock", "PutPublicAccessBlock", "GetObjectLockConfiguration"):
        return [(action, f"arn:aws:s3:::{bucket}", {})]
    if operation == "DeleteObjects":
        return [(action, f"arn:aws:s3:::{bucket}/{o['Key']}", {}) for o in (p.get("Delete") or {}).get("Objects", [])]
    if operation == "CopyObject":
        source = (
            p["CopySource"]
            if isinstance(p["CopySource"], str)
            else f"{p['CopySource']['Bucket']}/{p['CopySource']['Key']}"
        )
        return [
            ("s3:GetObject", f"arn:aws:s3:::{source.lstrip('/')}", {}),
            ("s3:PutObject", f"arn:aws:s3:::{bucket}/{p['Key']}", {}),
        ]
    if operation in _S3_OBJECT_OPERATIONS or "Key" in p:
        return [(action, f"arn:aws:s3:::{bucket}/{p['Key']}", {})]
    raise UnmappedCall(f"{call.describe()}: no IAM mapping for s3:{operation}")


def _function_arn(name: str, region: str, account: str, qualifier: str | None = None) -> str:
    if name.startswith("arn:"):
        arn = name
    else:
        base, _, inline = name.partition(":")
        arn = f"arn:aws:lambda:{region}:{account}:function:{base}" + (f":{inline}" if inline else "")
    return f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn


def _event_source_mapping(call, p, region, account):
    """Event source mappings are named by UUID; creating one is authorized on `*` with the function it targets as
    lambda:FunctionArn (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html)."""
    action = f"lambda:{call.operation}"
    if call.operation == "CreateEventSourceMapping":
        function = _function_arn(p["FunctionName"], region, account)
        return [(action, "*", {"lambda:FunctionArn": function})]
    if call.operation == "ListEventSourceMappings":
        return [(action, "*", {})]
    return [(action, f"arn:aws:lambda:{region}:{account}:event-source-mapping:{p['UUID']}", {})]


def _lambda(call, p, region, account):
    if "EventSourceMapping" in call.operation:
        return _event_source_mapping(call, p, region, account)
    action = "lambda:" + _LAMBDA_ACTIONS.get(call.operation, call.operation)
    name = p.get("FunctionName") or p.get("Resource") or ""
    if not name:
        if call.operation in ("ListFunctions", "ListLayers", "GetAccountSettings"):
            return [(action, "*", {})]
        raise UnmappedCall(f"{call.describe()}: no function named")
    # Alias operations name the alias by Name; IAM authorizes them on the function (qualified ARNs also match :*).
    qualifier = p.get("Qualifier")
    requests = [(action, _function_arn(name, region, account, qualifier), {})]
    role = p.get("Role")
    if role and call.operation in ("CreateFunction", "UpdateFunctionConfiguration"):
        requests.append(("iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"}))
    code = p.get("Code") or p
    if call.operation in ("CreateFunction", "UpdateFunctionCode") and code.get("S3Bucket"):
        # Lambda reads the package with the caller's permissions.
        requests.append(("s3:GetObject", f"arn:aws:s3:::{code['S3Bucket']}/{code['S3Key']}", {}))
    return requests


def _logs(call, p, region, account):
    action = f"logs:{call.operation}"
    if call.operation == "DescribeLogGroups":
        return [(action, f"arn:aws:logs:{region}:{account}:log-group:*", {})]
    arn = p.get("resourceArn")
    if arn:
        return [(action, arn, {})]
    group = p.get("logGroupName") or p.get("logGroupIdentifier")
    if not group:
        raise UnmappedCall(f"{call.describe()}: no log group named")
    stream = p.get("logStreamName")
    suffix = f":log-stream:{stream}" if stream else ":*"
    return [(action, f"arn:aws:logs:{region}:{account}:log-group:{group}{suffix}", {})]


def _queue_arn(p, region, account):
    url = p.get("QueueUrl")
    if url:
        parts = urlparse(url).path.strip("/").split("/")
        return f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}"
    owner = p.get("QueueOwnerAWSAccountId") or account
    return f"arn:aws:sqs:{region}:{owner}:{p['QueueName']}"


def _sqs(call, p, region, account):
    return [(f"sqs:{call.operation}", _queue_arn(p, region, account), {})]


def _sns(call, p, region, account):
    arn = p.get("TopicArn") or p.get("ResourceArn") or p.get("SubscriptionArn")
    if call.operation == "CreateTopic":
        arn = f"arn:aws:sns:{region}:{account}:{p['Name']}"
    if not arn:
        raise UnmappedCall(f"{call.describe()}: no topic named")
    return [(f"sns:{call.operation}", arn, {})]


def _alarm_arn(name: str, region: str, account: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"


def _cloudwatch(call, p, region, account):
    action = f"cloudwatch:{call.operation}"
    if call.operation == "PutMetricData":
        return [(action, "*", {"cloudwatch:namespace": p.get("Namespace", "")})]
    if call.operation in ("ListTagsForResource", "TagResource", "UntagResource"):
        return [(action, p["ResourceARN"], {})]
    if call.operation == "DescribeAlarms":
        # A list call: authorized on the account's alarms whatever names or prefix it asks for, as DescribeLogGroups
        # (the stricter reading of the service authorization reference; a grant on alarm:* holds either way).
        return [(action, _alarm_arn("*", region, account), {})]
    names = p.get("AlarmNames") or ([p["AlarmName"]] if "AlarmName" in p else [])
    if not names:
        raise UnmappedCall(f"{call.describe()}: no alarm named")
    return [(action, _alarm_arn(name, region, account), {}) for name in names]


def _scheduler(call, p, region, account):
    action = f"scheduler:{call.operation}"
    if "ResourceArn" in p:
        return [(action, p["ResourceArn"], {})]
    if call.operation in ("ListSchedules", "ListScheduleGroups"):
        return [(action, "*", {})]
    group = p.get("GroupName") or "default"
    requests = [(action, f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{p['Name']}", {})]
    role = (p.get("Target") or {}).get("RoleArn")
    if role and call.operation in ("CreateSchedule", "UpdateSchedule"):
        requests.append(("iam:PassRole", role, {"iam:PassedToService": "scheduler.amazonaws.com"}))
    return requests


def _iam(call, p, region, account):
    action = f"iam:{call.operation}"
    if "RoleName" in p:
        return [(action, f"arn:aws:iam::{account}:role/{p['RoleName']}", {})]
    if "OpenIDConnectProviderArn" in p:
        return [(action, p["OpenIDConnectProviderArn"], {})]
    if call.operation == "CreateOpenIDConnectProvider":
        host = p["Url"].removeprefix("https://")
        return [(action, f"arn:aws:iam::{account}:oidc-provider/{host}", {})]
    if "PolicyArn" in p:
        return [(action, p["PolicyArn"], {})]
    raise UnmappedCall(f"{call.describe()}: no IAM mapping for iam:{call.operation}")


GEO_PROFILE_PREFIXES = ("eu.", "us.", "apac.", "global.")


def _bedrock(call, p, region, account):
    if call.operation not in ("InvokeModel", "InvokeModelWithResponseStream"):
        raise UnmappedCall(f"{call.describe()}: no IAM mapping for bedrock:{call.operation}")
    model_id = p["modelId"]
    action = f"bedrock:{call.operation}"
    if model_id.startswith(GEO_PROFILE_PREFIXES):
        return [(action, f"arn:aws:bedrock:{region}:{account}:inference-profile/{model_id}", {})]
    return [(action, f"arn:aws:bedrock:{region}::foundation-model/{model_id}", {})]


_MAPPERS = {
    "s3": _s3,
    "lambda": _lambda,
    "logs": _logs,
    "sqs": _sqs,
    "sns": _sns,
    "cloudwatch": _cloudwatch,
    "scheduler": _scheduler,
    "iam": _iam,
    "bedrock-runtime": _bedrock,
}


def requests_for(calls: list[AwsCall], account: str) -> list[Request]:
    return [request for call in calls for request in iam_requests(call, account)]


def as_json(calls: list[AwsCall]) -> str:
    """The calls as JSON lines (for a failing test's message or a saved recording)."""
    return "\n".join(
        json.dumps({"service": c.service, "operation": c.operation, "params": c.params}, default=str) for c in calls
    )
