"""`python -m infra.package`: the deployable templates of every service, checked as JSON.

The packaging runs once per test session (with pytest-xdist: once for all workers, behind a file
lock) into a temporary directory: the five services, and a throw-away service that consumes events,
publishes and owns a bucket, so the queue path is exercised before any real service consumes.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.package import lint
from portal_common.resources import MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT
from portal_common.settings import SERVICES

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
STAGE = "prod"
THING = "thing"
THING_EVENT = "test.thing.happened"
UNAUTHORIZED_TYPES = ("ACCESS_DENIED", "UNAUTHORIZED", "EXPIRED_TOKEN", "INVALID_SIGNATURE")

THING_FILES = {
    "app.py": f'''"""A throw-away service for the packaging test: consumes, publishes, owns a bucket."""

from portal_common.service import PortalApp
from {THING}_service.store import ThingItem

app = PortalApp("{THING}", tables=[ThingItem], buckets=["uploads"])


def on_thing(envelope):
    return None


app.consume({{"{THING_EVENT}": on_thing}})
outbox = app.publishes()
token_authorizer, on_events, relay_outbox = app.entry_points("token_authorizer", "on_events", "relay_outbox")
''',
    f"{THING}_service/__init__.py": '"""Throw-away service."""\n',
    f"{THING}_service/store.py": f'''from portal_common.store import MainItem, table_meta


class ThingItem(MainItem):
    Meta = table_meta("{THING}")
''',
    ".chalice/config.json": json.dumps({
        "version": "2.0", "app_name": f"ouderportaal-{THING}", "lambda_timeout": 30, "lambda_memory_size": 512,
        "stages": {"prod": {"api_gateway_stage": "api", "environment_variables": {"PORTAL_STAGE": "prod"}}},
    }, indent=2),
}


def _write_thing(services_root: Path) -> None:
    root = services_root / THING
    for rel, text in THING_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    shutil.copy2(REPO / "services" / "timeline" / "requirements.txt", root / "requirements.txt")


def _package(root: Path) -> dict[str, Any]:
    _write_thing(root / "services")
    runs = {"main": [root / "out"], THING: [root / "out-thing", "--services-root", root / "services"]}
    started = time.monotonic()
    procs = {name: subprocess.Popen([sys.executable, "-m", "infra.package", *map(str, args), "--jobs", "2"],
                                    cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for name, args in runs.items()}
    result: dict[str, Any] = {}
    for name, proc in procs.items():
        output, _ = proc.communicate(timeout=840)
        summary_path = Path(runs[name][0]) / "summary.json"
        result[name] = {"rc": proc.returncode, "output": output,
                        "summary": json.loads(summary_path.read_text()) if summary_path.exists() else None}
    result["seconds"] = round(time.monotonic() - started, 1)
    result["outs"] = [str(root / "out"), str(root / "out-thing")]
    return result


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = tmp_path_factory.getbasetemp().parent / "packaging"  # shared by this session's workers
        root.mkdir(exist_ok=True)
    else:
        root = tmp_path_factory.mktemp("packaging")
    done = root / "result.json"
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            done.write_text(json.dumps(_package(root)))
    result = json.loads(done.read_text())
    print(f"\npackaging took {result['seconds']}s", file=sys.stderr)
    return dict(result)


def _services(packaged: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["service"]: s for run in ("main", THING) if packaged[run]["summary"]
            for s in packaged[run]["summary"]["services"]}


@pytest.fixture(scope="module")
def templates(packaged: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for name, svc in _services(packaged).items():
        if svc["template"] and Path(svc["template"]).exists():
            found[name] = json.loads(Path(svc["template"]).read_text())
    return found


def _of_type(template: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == rtype}


def _all_of_type(templates: dict[str, dict[str, Any]], rtype: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(svc, lid, res) for svc, t in templates.items() for lid, res in _of_type(t, rtype).items()]


# -- the build ------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", [*SERVICES, THING])
def test_service_is_packaged_and_smoke_imports(packaged, service):
    services = _services(packaged)
    assert service in services, packaged["main"]["output"] + packaged[THING]["output"]
    result = services[service]
    assert result["ok"], "\n".join(result["problems"])
    out = Path(result["template"]).parent
    assert (out / "sam.json").is_file() and (out / "deployment.zip").is_file()


def test_packager_exits_zero_and_lint_is_clean(packaged):
    for run in ("main", THING):
        summary = packaged[run]["summary"]
        assert summary is not None, packaged[run]["output"]
        assert not [f for f in summary["lint"]["findings"] if f["level"] == "Error"], packaged[run]["output"]
        assert packaged[run]["rc"] == 0, packaged[run]["output"]


def test_cfn_lint_passes_on_every_generated_template(packaged):
    files = sorted(p for out in packaged["outs"] for p in Path(out).glob("*/*.json")
                   if p.name in ("sam.json", "template.json"))
    assert len(files) == len(SERVICES) + 1 + 2, files  # five services + shared, thing + its shared
    proc = subprocess.run(lint.command(files, fmt="parseable"), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- what the services own ----------------------------------------------------------------------------
def test_every_table_is_protected_and_named_for_the_stage(templates):
    tables = _all_of_type(templates, "AWS::DynamoDB::Table")
    assert {res["Properties"]["TableName"] for _, _, res in tables} >= {f"{STAGE}-{s}-main" for s in SERVICES}
    for svc, lid, res in tables:
        props = res["Properties"]
        assert props["TableName"].startswith(f"{STAGE}-{svc}-"), lid
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert props["DeletionProtectionEnabled"] is True
        assert res["DeletionPolicy"] == "Retain"
        assert {g["IndexName"] for g in props["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2"}


def test_every_sqs_event_source_reports_batch_item_failures_from_its_own_queue(templates):
    sources = []
    for svc, fid, fn in _all_of_type(templates, "AWS::Serverless::Function"):
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                sources.append((svc, fid, event["Properties"]))
    # Every service that consumes events (planning: copies of auth's directory; auth: planning's contracts and
    # the e-mails about absences and decisions; timeline: consents and placements, the photos uploaded
    # into its bucket and the diary archives; exports: placements and the archives' progress; messaging:
    # the directory and every service's news for notifications) and the throw-away one.
    assert {svc for svc, _, _ in sources} == {THING, "planning", "auth", "timeline", "exports", "messaging"}
    for svc, fid, props in sources:
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"], (svc, fid)
        queue_id = props["Queue"]["Fn::GetAtt"][0]
        assert templates[svc]["Resources"][queue_id]["Properties"]["QueueName"] in (
            f"{STAGE}-{svc}-events", f"{STAGE}-{svc}-uploads-objects"), (svc, fid)


def test_the_uploads_bucket_notifies_its_own_queue_which_only_that_bucket_may_send_to(templates):
    resources = templates["timeline"]["Resources"]
    bucket_name = f"{STAGE}-ouderportaal-timeline-uploads"
    (bucket_id,) = [lid for lid, r in _of_type(templates["timeline"], "AWS::S3::Bucket").items()
                    if r["Properties"]["BucketName"] == bucket_name]
    bucket = resources[bucket_id]
    (config,) = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    queue_id = config["Queue"]["Fn::GetAtt"][0]
    queue = resources[queue_id]["Properties"]
    assert queue["QueueName"] == f"{STAGE}-timeline-uploads-objects"
    assert queue["VisibilityTimeout"] == VISIBILITY_TIMEOUT
    dlq_id = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert resources[dlq_id]["Properties"]["QueueName"] == f"{STAGE}-timeline-uploads-objects-dlq"
    (policy_id,) = [lid for lid, r in _of_type(templates["timeline"], "AWS::SQS::QueuePolicy").items()
                    if {"Ref": queue_id} in r["Properties"]["Queues"]]
    # S3 checks the queue policy when the notification is put: the bucket waits for it, and names the
    # bucket by its name (a GetAtt of the bucket would be a circular dependency).
    assert policy_id in bucket["DependsOn"]
    allow, deny = resources[policy_id]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    source_arn = {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket_name}"}
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == source_arn
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    fn = resources["ProcessUploads"]["Properties"]
    assert fn["Handler"] == "app.process_uploads"
    (event,) = fn["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["Queue"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_every_queue_has_a_dead_letter_queue(templates):
    queues = _all_of_type(templates, "AWS::SQS::Queue")
    assert queues
    dlq_ids = set()
    for svc, _lid, res in queues:
        props = res["Properties"]
        assert props["SqsManagedSseEnabled"] is True
        if props["QueueName"].endswith("-dlq"):
            continue
        redrive = props["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == MAX_RECEIVE_COUNT
        assert props["VisibilityTimeout"] == VISIBILITY_TIMEOUT
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert templates[svc]["Resources"][target]["Properties"]["QueueName"] == f"{props['QueueName']}-dlq"
        dlq_ids.add((svc, target))
    assert dlq_ids == {(svc, lid) for svc, lid, res in queues if res["Properties"]["QueueName"].endswith("-dlq")}


def test_the_queue_is_subscribed_to_the_topic_with_the_filter_of_the_app(templates):
    thing = templates[THING]["Resources"]
    sub = thing["EventsSubscription"]["Properties"]
    assert sub["RawMessageDelivery"] is True
    assert sub["FilterPolicy"] == {"type": [THING_EVENT]}
    assert sub["Endpoint"] == {"Fn::GetAtt": ["EventsQueue", "Arn"]}
    assert sub["TopicArn"] == {"Fn::ImportValue": f"{STAGE}-events-topic-arn"}
    statement = thing["EventsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == sub["TopicArn"]


def test_buckets_are_private_encrypted_and_tls_only(templates):
    buckets = _all_of_type(templates, "AWS::S3::Bucket")
    assert {res["Properties"]["BucketName"] for _, _, res in buckets} >= {f"{STAGE}-ouderportaal-{THING}-uploads"}
    for svc, lid, res in buckets:
        props = res["Properties"]
        assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
        assert len(props["PublicAccessBlockConfiguration"]) == 4
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        rule, temporary, *expiring = props["LifecycleConfiguration"]["Rules"]
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
        assert temporary["Prefix"] == "tmp/" and temporary["ExpirationInDays"] == 1
        days = {r["Prefix"]: r["ExpirationInDays"] for r in expiring}
        # Archives and personal-data parts expire by rule too, should the hourly job or a message be lost.
        assert days == ({"diary/": 8, "personal-data/": 8, "personal/": 2} if svc == "exports" else {}), svc
        policies = [p for p in _of_type(templates[svc], "AWS::S3::BucketPolicy").values()
                    if p["Properties"]["Bucket"] == {"Ref": lid}]
        assert len(policies) == 1
        (deny,) = policies[0]["Properties"]["PolicyDocument"]["Statement"]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_role_is_scoped_to_the_services_own_resources(templates):
    for svc, t in templates.items():
        (policy,) = _of_type(t, "AWS::IAM::Policy").values()
        roles = {r["Ref"] for r in policy["Properties"]["Roles"]}
        used = {fn["Properties"]["Role"]["Fn::GetAtt"][0] for fn in _of_type(t, "AWS::Serverless::Function").values()}
        assert roles == used
        by_sid = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
        table_ids = set(_of_type(t, "AWS::DynamoDB::Table"))
        refs = json.dumps(by_sid["OwnTables"]["Resource"])
        assert all(lid in refs for lid in table_ids) and '"*"' not in refs
        assert by_sid["PublishEvents"]["Action"] == "sns:Publish"
        assert "ses:SendEmail" in by_sid["SendMail"]["Action"]
        if _of_type(t, "AWS::S3::Bucket"):
            assert "s3:PutObject" in by_sid["OwnBucketObjects"]["Action"]
        # Another service's bucket: only putting files under the agreed prefixes (the diary archives, the
        # parts of personal-data exports); the exports service owns the bucket, the packaging's test
        # service has none.
        archives = f"arn:${{AWS::Partition}}:s3:::{STAGE}-ouderportaal-exports-archives"
        if svc not in ("auth", "timeline", "messaging", "planning"):
            assert "DeliverInto" not in by_sid
        else:
            box = by_sid["DeliverInto"]
            assert box["Action"] == ["s3:PutObject", "s3:AbortMultipartUpload"]
            prefixes = ["diary/", "personal/"] if svc == "timeline" else ["personal/"]
            assert box["Resource"] == [{"Fn::Sub": f"{archives}/{prefix}*"} for prefix in prefixes]
        # Mobile push: auth registers devices, messaging's notifications publish to them; nobody else.
        assert ("RegisterDevices" in by_sid) == (svc == "auth")
        assert ("PushToDevices" in by_sid) == (svc == "messaging")
        if svc == "messaging":
            assert by_sid["PushToDevices"]["Resource"] == {
                "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:endpoint/*"}
        # Chalice's own sqs statement no longer reaches every queue of the account.
        for role in roles:
            for p in t["Resources"][role]["Properties"].get("Policies", []):
                for st in p["PolicyDocument"]["Statement"]:
                    assert not (str(st["Action"]).count("sqs:") and st["Resource"] == "*"), (svc, st)


# -- the package ------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", [*SERVICES, THING])
def test_zip_vendors_the_service_package_and_the_library_without_its_testing_package(packaged, templates, service):
    result = _services(packaged)[service]
    with zipfile.ZipFile(Path(result["template"]).with_name("deployment.zip")) as z:
        names = z.namelist()
    assert "portal_common/__init__.py" in names and "portal_common/resources.py" in names
    assert not [n for n in names if n.startswith("portal_common/testing")]
    assert "app.py" in names and f"{service}_service/__init__.py" in names and "chalicelib/__init__.py" not in names
    (api,) = _of_type(templates[service], "AWS::Serverless::Api").values()
    paths = api["Properties"]["DefinitionBody"]["paths"]
    assert "/health" in paths
    assert not [p for p in paths if p.startswith("/dev")]


def test_every_lambda_gets_settings_and_secrets_from_parameters(templates):
    for svc, t in templates.items():
        params = t["Parameters"]
        assert params["CursorKey"]["NoEcho"] is True
        for fid, fn in _of_type(t, "AWS::Serverless::Function").items():
            env = fn["Properties"]["Environment"]["Variables"]
            assert env["PORTAL_STAGE"] == STAGE
            assert env["PORTAL_CURSOR_KEY"] == {"Ref": "CursorKey"}
            assert env["PORTAL_JWT_PUBLIC_KEYS"] == {"Ref": "JwtPublicKeys"}
            assert env["PORTAL_ACCOUNT_ID"] == {"Ref": "AWS::AccountId"}
            # Only auth's HTTP handler signs tokens; its authorizer and schedules never see the key.
            assert ("PORTAL_JWT_PRIVATE_KEY" in env) == (svc == "auth" and fid == "APIHandler")
    assert templates["auth"]["Parameters"]["JwtPrivateKey"]["NoEcho"] is True


def test_gateway_answers_problem_json_401_for_denials_and_404_for_unknown_paths(templates):
    for svc, t in templates.items():
        (api,) = _of_type(t, "AWS::Serverless::Api").values()
        responses = api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
        for rtype, status, code in [*((r, "401", "unauthorized") for r in UNAUTHORIZED_TYPES),
                                    ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found")]:
            response = responses[rtype]
            assert response["statusCode"] == status, (svc, rtype)
            assert response["responseParameters"]["gatewayresponse.header.Content-Type"] == \
                "'application/problem+json'"
            body = json.loads(response["responseTemplates"]["application/json"])
            assert body["type"] == f"urn:ouderportaal:problem:{code}"
            assert body["status"] == int(status) and body["code"] == code
            assert body["title"] and body["detail"]
        for rtype in ("DEFAULT_4XX", "DEFAULT_5XX"):
            assert responses[rtype]["responseParameters"]["gatewayresponse.header.Content-Type"] == \
                "'application/problem+json'"
            assert "$context.error.messageString" in responses[rtype]["responseTemplates"]["application/json"]


def test_the_token_authorizer_caches_at_most_a_minute_per_token(templates):
    """API Gateway's default is 300 s: a token near its expiry was accepted up to five minutes past `exp`.
    The TTL is explicit (ADR 0002) and the views re-check `exp` (tests/test_token_expiry.py)."""
    from portal_common.service import AUTHORIZER_CACHE_SECONDS

    assert 0 <= AUTHORIZER_CACHE_SECONDS <= 60
    for svc in SERVICES:  # the throw-away service has public routes only: no authorizer
        (api,) = _of_type(templates[svc], "AWS::Serverless::Api").values()
        definitions = api["Properties"]["DefinitionBody"]["securityDefinitions"]
        authorizers = [d["x-amazon-apigateway-authorizer"] for d in definitions.values()
                       if "x-amazon-apigateway-authorizer" in d]
        assert authorizers, svc
        for authorizer in authorizers:
            assert authorizer["type"] == "token", svc
            assert authorizer["authorizerResultTtlInSeconds"] == AUTHORIZER_CACHE_SECONDS, svc


def test_shared_stack_owns_the_topic_and_the_domain(packaged):
    shared = json.loads(Path(packaged["main"]["summary"]["shared_template"]).read_text())
    topic = shared["Resources"]["EventsTopic"]["Properties"]
    assert topic == {"TopicName": f"{STAGE}-events", "KmsMasterKeyId": "alias/aws/sns"}
    assert shared["Outputs"]["EventsTopicArn"]["Export"]["Name"] == f"{STAGE}-events-topic-arn"
    assert shared["Resources"]["Domain"]["Type"] == "AWS::ApiGateway::DomainName"
    mappings = _of_type(shared, "AWS::ApiGateway::BasePathMapping")
    assert {m["Properties"]["BasePath"] for m in mappings.values()} == set(SERVICES)
    for m in mappings.values():
        assert m["Properties"]["RestApiId"]["Ref"] in shared["Parameters"]


def test_merge_refuses_development_routes_and_unowned_sqs_sources():
    from infra.package import merge

    def minimal(paths: dict[str, Any], events: dict[str, Any]) -> dict[str, Any]:
        fn = {"Type": "AWS::Serverless::Function",
              "Properties": {"Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]}, "Events": events}}
        return {"Resources": {
            "DefaultRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "APIHandler": fn,
            "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {"DefinitionBody": {"paths": paths}}},
        }}

    probe = {"service": "x", "stage": STAGE, "publishes": False, "main_table": f"{STAGE}-x-main",
             "routes": ["/health"], "problems": {}, "unauthorized_detail": "",
             "resources": {"tables": [], "queue": None, "buckets": []}}
    with pytest.raises(merge.MergeError, match="development routes"):
        merge.merge(minimal({"/dev/mail": {}}, {}), {**probe, "routes": ["/dev/mail"]})
    stray = {"E": {"Type": "SQS", "Properties": {"Queue": {"Fn::Sub": "arn:${AWS::Partition}:sqs:::other"}}}}
    with pytest.raises(merge.MergeError, match="consumes no events"):
        merge.merge(minimal({"/health": {}}, stray), probe)
