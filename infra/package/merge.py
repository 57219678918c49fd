"""Post-process the template `chalice package` wrote: add what the service owns, fix what chalice leaves out.

`--merge-template` cannot do this (it adds keys but cannot replace intrinsic values such as the SQS
event source's queue ARN), so the JSON is edited here, from the probe of the app itself.
"""

from __future__ import annotations

from typing import Any

from . import cfn

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_API = "AWS::Serverless::Api"
API_HANDLER = "APIHandler"  # chalice's logical id of the function behind every route


class MergeError(RuntimeError):
    """The chalice template does not look like what the packager knows how to complete."""


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v.get("Type") == SERVERLESS_FUNCTION}


def _roles_of_functions(template: dict[str, Any]) -> list[str]:
    roles = set()
    for fn in _functions(template).values():
        role = fn["Properties"].get("Role")
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            roles.add(role["Fn::GetAtt"][0])
        else:  # a role ARN from config ("manage_iam_role": false): nothing of ours to attach to
            raise MergeError(f"function role {role!r} is not a role of this template")
    return sorted(roles)


def _sqs_sources(template: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for fid, fn in _functions(template).items():
        for eid, event in (fn["Properties"].get("Events") or {}).items():
            if event.get("Type") == "SQS":
                found.append((fid, eid, event["Properties"]))
    return found


def _queue_name(ref: Any) -> str | None:
    """The queue name in chalice's `{"Fn::Sub": "arn:${AWS::Partition}:sqs:…:<name>"}`."""
    arn = ref.get("Fn::Sub") if isinstance(ref, dict) else ref
    return arn.rsplit(":", 1)[-1] if isinstance(arn, str) else None


def _wire_queue(template: dict[str, Any], probe: dict[str, Any], buckets: dict[str, str]) -> None:
    """Create the service's queues (events; objects created in its buckets) and point chalice's SQS event
    sources at them: exactly one source per queue, and no source on a queue the service does not own."""
    res = probe["resources"]
    queue = res["queue"]
    bucket_lids = {name: lid for lid, name in buckets.items()}
    targets: dict[str, str] = {}  # queue name → logical id
    if queue is not None:
        targets[queue["name"]] = "EventsQueue"
        template["Resources"].update(cfn.queue_resources(
            queue, probe["stage"], max_receive_count=probe["max_receive_count"],
            visibility_timeout=probe["visibility_timeout"]))
    for spec in res.get("bucket_queues", []):
        lid = bucket_lids.get(spec["bucket"])
        if lid is None:
            raise MergeError(f"queue {spec['name']} is notified by bucket {spec['bucket']}, which the app does not own")
        targets[spec["name"]] = cfn.bucket_queue_ids(lid)[0]
        template["Resources"].update(cfn.bucket_queue_resources(
            spec, lid, max_receive_count=probe["max_receive_count"], visibility_timeout=probe["visibility_timeout"]))
        cfn.notify_queue(template["Resources"][lid], spec, lid)
    sources = _sqs_sources(template)
    if not targets:
        if sources:
            raise MergeError(f"SQS event sources {[s[0] for s in sources]} but the service consumes no events")
        return
    by_queue: dict[str | None, list[tuple[str, str, dict[str, Any]]]] = {}
    for source in sources:
        by_queue.setdefault(_queue_name(source[2].get("Queue")), []).append(source)
    if set(by_queue) != set(targets) or any(len(found) != 1 for found in by_queue.values()):
        raise MergeError(f"expected one SQS event source on each of the queues {sorted(targets)}, found {sources}")
    for name, lid in targets.items():
        (_, _, props), = by_queue[name]
        props["Queue"] = {"Fn::GetAtt": [lid, "Arn"]}
        # Chalice does not enable partial batch responses; the consumers return batchItemFailures.
        props["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    # Chalice's generated role may receive from any queue ("Resource": "*"): narrow it to ours.
    arns = [{"Fn::GetAtt": [lid, "Arn"]} for lid in targets.values()]
    for role_id in _roles_of_functions(template):
        for policy in template["Resources"][role_id]["Properties"].get("Policies", []):
            for st in policy["PolicyDocument"]["Statement"]:
                actions = st.get("Action")
                actions = [actions] if isinstance(actions, str) else actions or []
                if actions and all(a.startswith("sqs:") for a in actions) and st.get("Resource") == "*":
                    st["Resource"] = arns[0] if len(arns) == 1 else arns


def _check_timeouts(template: dict[str, Any], probe: dict[str, Any]) -> None:
    for fid, _, _ in _sqs_sources(template):
        timeout = template["Resources"][fid]["Properties"].get("Timeout", 3)
        if probe["visibility_timeout"] < timeout:
            raise MergeError(f"{fid}: queue visibility timeout {probe['visibility_timeout']}s is shorter than "
                             f"the function timeout {timeout}s (messages would be delivered twice)")


def _add_gateway_responses(template: dict[str, Any], probe: dict[str, Any]) -> None:
    apis = [v for v in template["Resources"].values() if v.get("Type") == SERVERLESS_API]
    for api in apis:
        body = api["Properties"]["DefinitionBody"]
        body["x-amazon-apigateway-gateway-responses"] = cfn.gateway_responses(
            probe["problems"], probe["unauthorized_detail"])


def _refuse_dev_routes(template: dict[str, Any], probe: dict[str, Any]) -> None:
    """The local stack's `/dev/...` pages (mail, clock) must never become routes of a deployed API."""
    paths = [*probe["routes"]]
    for api in template["Resources"].values():
        if api.get("Type") == SERVERLESS_API:
            paths += list(api["Properties"]["DefinitionBody"].get("paths", {}))
    dev = sorted({p for p in paths if p == "/dev" or p.startswith("/dev/")})
    if dev:
        raise MergeError(f"development routes must never reach a deployed API: {dev}")


def _set_environment(template: dict[str, Any], probe: dict[str, Any]) -> None:
    for fid, fn in _functions(template).items():
        # The authorizer, consumers and schedules never sign tokens: the private key stays out of them.
        env = cfn.environment(probe["service"], probe["stage"], signs_tokens=fid == API_HANDLER)
        variables = fn["Properties"].setdefault("Environment", {}).setdefault("Variables", {})
        if variables.get("PORTAL_STAGE", probe["stage"]) != probe["stage"]:
            raise MergeError(f"chalice config sets PORTAL_STAGE={variables['PORTAL_STAGE']!r}, "
                             f"the package is for {probe['stage']!r}")
        variables.update(env)


def merge(template: dict[str, Any], probe: dict[str, Any]) -> dict[str, Any]:
    """Complete `template` (chalice's SAM JSON) in place with the service's own resources; returns it."""
    service, stage, res = probe["service"], probe["stage"], probe["resources"]
    resources = template["Resources"]

    tables: dict[str, str] = {}
    for spec in res["tables"]:
        lid = cfn.logical_id(cfn.short_name(spec["name"], f"{stage}-{service}-"), "Table")
        tables[lid] = spec["name"]
        resources[lid] = cfn.table(spec)
    if (probe["publishes"] or res["queue"]) and probe["main_table"] not in tables.values():
        raise MergeError(f"the outbox/inbox live in {probe['main_table']}, which the app does not declare")

    buckets: dict[str, str] = {}
    for name in res["buckets"]:
        lid = cfn.logical_id(cfn.short_name(name, f"{stage}-ouderportaal-{service}-"), "Bucket")
        buckets[lid] = name
        resources.update(cfn.bucket_resources(name, lid))

    _wire_queue(template, probe, buckets)
    _check_timeouts(template, probe)
    resources["OwnResourcesPolicy"] = cfn.service_policy(stage, tables, buckets, _roles_of_functions(template),
                                                       res.get("drop_boxes", []), res.get("push"))
    for fn in _functions(template).values():
        # A schedule or a queue may invoke a function as soon as it exists: not before its permissions do.
        depends = fn.get("DependsOn", [])
        fn["DependsOn"] = sorted({*([depends] if isinstance(depends, str) else depends), "OwnResourcesPolicy"})
    _refuse_dev_routes(template, probe)
    _add_gateway_responses(template, probe)
    _set_environment(template, probe)

    template["Description"] = (f"ouderportaal {service} service ({stage}): chalice package output with the "
                               f"service's own tables, queues and buckets merged in by infra.package.")
    template["Parameters"] = {**template.get("Parameters", {}), **cfn.parameters(service)}
    outputs = template.setdefault("Outputs", {})
    for lid, name in tables.items():
        outputs[f"{lid}Name"] = {"Value": {"Ref": lid}, "Description": name}
    for lid, name in buckets.items():
        outputs[f"{lid}Name"] = {"Value": {"Ref": lid}, "Description": name}
    if res["queue"]:
        outputs["EventsDeadLetterQueueUrl"] = {"Value": {"Ref": "EventsDeadLetterQueue"},
                                               "Description": "Inspect and redrive failed events here."}
    bucket_lids = {name: lid for lid, name in buckets.items()}
    for spec in res.get("bucket_queues", []):
        lid = cfn.bucket_queue_ids(bucket_lids[spec["bucket"]])[1]
        outputs[f"{lid}Url"] = {"Value": {"Ref": lid},
                                "Description": f"Inspect and redrive failed notices of {spec['bucket']} here."}
    return template
