"""CloudFormation pieces for what a service owns, built from the app's own resource description.

Pure functions: a probe result (see `probe.py`: `portal_common.resources.describe(app)` and friends)
in, template fragments out. `merge.py` puts them into the template `chalice package` wrote.
"""

from __future__ import annotations

import json
import re
from typing import Any

PROBLEM_JSON = "application/problem+json"

# Security headers on every answer API Gateway gives itself (the apps add the same ones).
GATEWAY_HEADERS = {
    "Content-Type": PROBLEM_JSON,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}

# API Gateway's own errors → the status and problem document the apps would have answered.
# The token authorizer *denies* (it never raises), which API Gateway reports as ACCESS_DENIED (403):
# for the API that is "not signed in", so 401, like a missing or malformed Authorization header.
# An unknown path is MISSING_AUTHENTICATION_TOKEN (403) in a REST API: for the client it is a 404.
UNAUTHORIZED_TYPES = ("ACCESS_DENIED", "UNAUTHORIZED", "EXPIRED_TOKEN", "INVALID_SIGNATURE")
FIXED_STATUS = {
    **dict.fromkeys(UNAUTHORIZED_TYPES, 401),
    "MISSING_AUTHENTICATION_TOKEN": 404,
    "REQUEST_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "THROTTLED": 429,
    "QUOTA_EXCEEDED": 429,
}


def logical_id(*parts: str) -> str:
    """`logical_id("prod-auth-main", "Table")` → `ProdAuthMainTable` (CloudFormation ids are alphanumeric)."""
    words = [w for p in parts for w in re.split(r"[^A-Za-z0-9]+", p) if w]
    return "".join(w[:1].upper() + w[1:] for w in words)


def short_name(full: str, prefix: str) -> str:
    return full[len(prefix):] if full.startswith(prefix) else full


def topic_arn(stage: str) -> dict[str, Any]:
    """The event topic lives in the shared stack, which exports its ARN under this name."""
    return {"Fn::ImportValue": topic_export_name(stage)}


def topic_export_name(stage: str) -> str:
    return f"{stage}-events-topic-arn"


# -- DynamoDB ------------------------------------------------------------------------------------
def table(spec: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "TableName": spec["name"],
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": spec["key_schema"],
        "AttributeDefinitions": spec["attribute_definitions"],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "DeletionProtectionEnabled": True,
    }
    if spec["gsis"]:
        props["GlobalSecondaryIndexes"] = spec["gsis"]
    if spec["ttl_attribute"]:
        props["TimeToLiveSpecification"] = {"AttributeName": spec["ttl_attribute"], "Enabled": True}
    # Retain: a stack deletion or a replacing update must never take the data with it.
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": props}


# -- SQS + SNS subscription -------------------------------------------------------------------------
def _queue_pair(q: str, dlq: str, name: str, dlq_name: str, *, max_receive_count: int, visibility_timeout: int,
                dlq_retention: int) -> dict[str, dict[str, Any]]:
    """A queue (logical id `q`) redriving to its dead-letter queue (`dlq`) after `max_receive_count` deliveries."""
    return {
        dlq: {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": dlq_name,
            "MessageRetentionPeriod": dlq_retention,
            "SqsManagedSseEnabled": True,
        }},
        q: {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": name,
            "VisibilityTimeout": visibility_timeout,
            "MessageRetentionPeriod": dlq_retention - 24 * 3600,  # the DLQ must outlive the source queue
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                              "maxReceiveCount": max_receive_count},
        }},
    }


def queue_resources(queue: dict[str, Any], stage: str, *, max_receive_count: int, visibility_timeout: int,
                    dlq_retention: int = 14 * 24 * 3600) -> dict[str, dict[str, Any]]:
    """The service's event queue, its DLQ, the subscription to the topic and the policy letting it send."""
    q, dlq = "EventsQueue", "EventsDeadLetterQueue"
    arn = {"Fn::GetAtt": [q, "Arn"]}
    dlq_arn = {"Fn::GetAtt": [dlq, "Arn"]}
    return {
        **_queue_pair(q, dlq, queue["name"], queue["dlq_name"], max_receive_count=max_receive_count,
                      visibility_timeout=visibility_timeout, dlq_retention=dlq_retention),
        "EventsSubscription": {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": topic_arn(stage),
            "Protocol": "sqs",
            "Endpoint": arn,
            "RawMessageDelivery": True,
            # `type` is a message attribute of every published event (portal_common.events).
            "FilterPolicyScope": "MessageAttributes",
            "FilterPolicy": {"type": sorted(queue["event_types"])},
            # What SNS cannot deliver at all (queue policy broken…) lands in the DLQ, not nowhere.
            "RedrivePolicy": {"deadLetterTargetArn": dlq_arn},
        }},
        "EventsQueuePolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": q}, {"Ref": dlq}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "TopicSends", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                 "Action": "sqs:SendMessage", "Resource": [arn, dlq_arn],
                 "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn(stage)}}},
                {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                 "Resource": [arn, dlq_arn], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            ]},
        }},
    }


# -- S3 ------------------------------------------------------------------------------------------
# Objects that expire by prefix in a bucket (by the bucket's logical name), beyond `tmp/`. The exports
# service deletes archives after 7 days and parts once packed; these rules are the backstop if a job or a
# message was lost, so nothing personal outlives its purpose however the code failed.
PREFIX_EXPIRY: dict[str, tuple[tuple[str, int], ...]] = {
    "archives": (("diary/", 8), ("personal-data/", 8), ("personal/", 2)),
}


def _expiry_rules(name: str) -> list[dict[str, Any]]:
    prefixes = PREFIX_EXPIRY.get(name.rsplit("-", 1)[-1], ())
    return [{"Id": f"expire-{prefix.strip('/')}", "Status": "Enabled", "Prefix": prefix, "ExpirationInDays": days}
            for prefix, days in prefixes]


def bucket_resources(name: str, lid: str) -> dict[str, dict[str, Any]]:
    bucket = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
              "Properties": {
                  "BucketName": name,
                  "PublicAccessBlockConfiguration": {
                      "BlockPublicAcls": True, "BlockPublicPolicy": True,
                      "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                  "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                      {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                  "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                  "LifecycleConfiguration": {"Rules": [{
                      "Id": "abort-incomplete-multipart-uploads", "Status": "Enabled",
                      "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}, {
                      # Rendered downloads (a diary report as HTML, ...) are served once through a
                      # short link and are never the only copy of anything.
                      "Id": "expire-temporary-objects", "Status": "Enabled", "Prefix": "tmp/", "ExpirationInDays": 1},
                      *_expiry_rules(name)]},
                  # Browsers upload (presigned POST forms) and download with presigned URLs straight to S3
                  # (never through Lambda).
                  "CorsConfiguration": {"CorsRules": [{
                      "AllowedOrigins": [{"Ref": "PublicBaseUrl"}],
                      "AllowedMethods": ["GET", "PUT", "POST", "HEAD"], "AllowedHeaders": ["*"],
                      "ExposedHeaders": ["ETag"], "MaxAge": 3000}]},
              }}
    arn = {"Fn::GetAtt": [lid, "Arn"]}
    policy = {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": lid},
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, {"Fn::Sub": f"${{{lid}.Arn}}/*"}],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
    }}
    return {lid: bucket, f"{lid}Policy": policy}


def bucket_queue_ids(bucket_lid: str) -> tuple[str, str, str]:
    """Logical ids of the queue S3 notifies for bucket `bucket_lid`, its DLQ and its queue policy."""
    base = bucket_lid.removesuffix("Bucket") + "Objects"
    return f"{base}Queue", f"{base}DeadLetterQueue", f"{base}QueuePolicy"


def bucket_queue_resources(spec: dict[str, Any], bucket_lid: str, *, max_receive_count: int,
                           visibility_timeout: int, dlq_retention: int = 14 * 24 * 3600) -> dict[str, dict[str, Any]]:
    """The queue S3 notifies of objects created in a bucket, its DLQ and the policy letting (only) that bucket
    of this account send to it. The bucket's ARN is built from its name: `GetAtt` of the bucket would make
    a cycle (bucket → notification → queue policy → bucket), since S3 checks the policy when the
    notification is put on the bucket."""
    q, dlq, policy = bucket_queue_ids(bucket_lid)
    arn, dlq_arn = {"Fn::GetAtt": [q, "Arn"]}, {"Fn::GetAtt": [dlq, "Arn"]}
    return {
        **_queue_pair(q, dlq, spec["name"], spec["dlq_name"], max_receive_count=max_receive_count,
                      visibility_timeout=visibility_timeout, dlq_retention=dlq_retention),
        policy: {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": q}, {"Ref": dlq}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "BucketSends", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                 "Action": "sqs:SendMessage", "Resource": arn,
                 "Condition": {
                     "ArnEquals": {"aws:SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{spec['bucket']}"}},
                     "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}},
                {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                 "Resource": [arn, dlq_arn], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            ]},
        }},
    }


def notify_queue(bucket: dict[str, Any], spec: dict[str, Any], bucket_lid: str) -> None:
    """Make `bucket` (a resource of `bucket_resources`) notify its queue of `spec["events"]`, once the
    queue policy lets it (S3 sends a test message when the configuration is put)."""
    q, _, policy = bucket_queue_ids(bucket_lid)
    configs = bucket["Properties"].setdefault("NotificationConfiguration", {}).setdefault("QueueConfigurations", [])
    configs += [{"Event": event, "Queue": {"Fn::GetAtt": [q, "Arn"]}} for event in spec["events"]]
    depends = bucket.get("DependsOn", [])
    bucket["DependsOn"] = sorted({*([depends] if isinstance(depends, str) else depends), policy})


# -- IAM -----------------------------------------------------------------------------------------
DYNAMODB_ACTIONS = [
    # Transactions (TransactWriteItems/TransactGetItems) are authorized per item with these actions.
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",  # PynamoDB describes a table before first use
]


def service_policy(stage: str, tables: dict[str, str], buckets: dict[str, str],
                   roles: list[str], drop_boxes: list[str] | None = None,
                   push: str | None = None) -> dict[str, Any]:
    """Least privilege for the service's own resources: `tables`/`buckets` map logical id → name;
    `drop_boxes` ("<bucket>/<prefix>") are other services' buckets it may only put files into."""
    statements: list[dict[str, Any]] = []
    if tables:
        resources: list[Any] = []
        for lid in tables:
            resources += [{"Fn::GetAtt": [lid, "Arn"]}, {"Fn::Sub": f"${{{lid}.Arn}}/index/*"}]
        statements.append({"Sid": "OwnTables", "Effect": "Allow", "Action": DYNAMODB_ACTIONS, "Resource": resources})
    statements.append({"Sid": "PublishEvents", "Effect": "Allow", "Action": "sns:Publish",
                       "Resource": topic_arn(stage)})
    statements.append({"Sid": "SendMail", "Effect": "Allow", "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                       "Resource": "*", "Condition": {"StringEquals": {"ses:FromAddress": {"Ref": "MailSender"}}}})
    if buckets:
        arns = [{"Fn::GetAtt": [lid, "Arn"]} for lid in buckets]
        objects = [{"Fn::Sub": f"${{{lid}.Arn}}/*"} for lid in buckets]
        statements.append({"Sid": "OwnBucketObjects", "Effect": "Allow",
                           "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                           "Resource": objects})
        statements.append({"Sid": "OwnBuckets", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arns})
    if drop_boxes:
        statements.append({"Sid": "DeliverInto", "Effect": "Allow",
                           "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                           "Resource": [{"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{box}*"} for box in drop_boxes]})
    sns = "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}"
    if push == "register":  # devices: endpoints of the account's push applications
        statements.append({"Sid": "RegisterDevices", "Effect": "Allow",
                           "Action": ["sns:CreatePlatformEndpoint", "sns:DeleteEndpoint", "sns:SetEndpointAttributes",
                                      "sns:GetEndpointAttributes"],
                           "Resource": [{"Fn::Sub": f"{sns}:app/*"}, {"Fn::Sub": f"{sns}:endpoint/*"}]})
    elif push == "send":
        statements.append({"Sid": "PushToDevices", "Effect": "Allow", "Action": "sns:Publish",
                           "Resource": {"Fn::Sub": f"{sns}:endpoint/*"}})
    return {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": "OwnResources",
        "Roles": [{"Ref": r} for r in roles],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
    }}


# -- parameters and environment -------------------------------------------------------------------
# Secrets arrive as NoEcho template parameters and land in Lambda environment variables (encrypted
# at rest with the account's aws/lambda key). NoEcho only hides them in CloudFormation: anyone with
# lambda:GetFunctionConfiguration reads them. A real deploy keeps them in SSM Parameter Store
# (SecureString) or Secrets Manager and reads them at cold start; the parameters are the seam.
PARAMETER_NOTE = ("Deploy-time secret. NoEcho hides it in CloudFormation only; a real deploy reads it from SSM "
               "Parameter Store (SecureString) or Secrets Manager instead of a Lambda environment variable.")
COMMON_PARAMETERS: dict[str, dict[str, Any]] = {
    "JwtPublicKeys": {"Type": "String", "MinLength": 2,
                      "Description": "PORTAL_JWT_PUBLIC_KEYS: JSON object {kid: PEM} of the Ed25519 keys "
                                     "that may sign access tokens (public, no secret)."},
    "CursorKey": {"Type": "String", "NoEcho": True, "AllowedPattern": "^[A-Za-z0-9+/]{43}=$",
                  "Description": "PORTAL_CURSOR_KEY: base64 of 32 random bytes sealing paging cursors. "
                                 + PARAMETER_NOTE},
    "PublicBaseUrl": {"Type": "String", "AllowedPattern": "^https://[^/]+$",
                      "Description": "PORTAL_PUBLIC_BASE_URL: origin of the web client (links in e-mail, "
                                     "CORS of the upload buckets), e.g. https://app.ouderportaal.nl"},
    "MailSender": {"Type": "String", "Default": "no-reply@ouderportaal.nl",
                   "Description": "PORTAL_MAIL_SENDER: the verified SES sender address."},
}
AUTH_PARAMETERS: dict[str, dict[str, Any]] = {
    "JwtPrivateKey": {"Type": "String", "NoEcho": True, "MinLength": 1,
                      "Description": "PORTAL_JWT_PRIVATE_KEY: PEM of the Ed25519 signing key. " + PARAMETER_NOTE},
    "JwtKid": {"Type": "String", "MinLength": 1,
               "Description": "PORTAL_JWT_KID: key id of the signing key (a key of JwtPublicKeys)."},
}


def parameters(service: str) -> dict[str, dict[str, Any]]:
    return {**COMMON_PARAMETERS, **(AUTH_PARAMETERS if service == "auth" else {})}


def environment(service: str, stage: str, *, signs_tokens: bool = False) -> dict[str, Any]:
    """Settings of one function; only auth's HTTP handler (sign-in, refresh) gets the signing key."""
    env: dict[str, Any] = {
        "PORTAL_STAGE": stage,
        # Settings build the topic ARN from the account id; the default is moto's.
        "PORTAL_ACCOUNT_ID": {"Ref": "AWS::AccountId"},
        "PORTAL_JWT_PUBLIC_KEYS": {"Ref": "JwtPublicKeys"},
        "PORTAL_CURSOR_KEY": {"Ref": "CursorKey"},
        "PORTAL_PUBLIC_BASE_URL": {"Ref": "PublicBaseUrl"},
        "PORTAL_MAIL_SENDER": {"Ref": "MailSender"},
    }
    if service == "auth" and signs_tokens:
        env["PORTAL_JWT_PRIVATE_KEY"] = {"Ref": "JwtPrivateKey"}
        env["PORTAL_JWT_KID"] = {"Ref": "JwtKid"}
    return env


# -- API Gateway's own error answers ----------------------------------------------------------------
def _template_body(doc: dict[str, Any], detail_expr: str | None = None) -> str:
    """A gateway response template (VTL): the problem document, `detail` optionally from the context."""
    if detail_expr is None:
        return json.dumps(doc, ensure_ascii=False)
    placeholder = "\u0000detail\u0000"
    return json.dumps({**doc, "detail": placeholder}, ensure_ascii=False).replace(
        json.dumps(placeholder), detail_expr)


def _gateway_response(status: int | None, body: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "responseParameters": {f"gatewayresponse.header.{k}": f"'{v}'" for k, v in GATEWAY_HEADERS.items()},
        "responseTemplates": {"application/json": body},
    }
    if status is not None:
        response["statusCode"] = str(status)
    return response


def gateway_responses(problems: dict[str, dict[str, Any]], unauthorized_detail: str) -> dict[str, Any]:
    """`x-amazon-apigateway-gateway-responses` for the swagger body, from the library's own problem documents.

    They go into the API definition (not separate AWS::ApiGateway::GatewayResponse resources) because
    API Gateway only applies gateway responses with a new deployment, and SAM redeploys exactly when
    the definition body changes. Titles are in the default language (Dutch): the gateway cannot
    negotiate Accept-Language.
    """
    out: dict[str, Any] = {}
    for rtype, status in FIXED_STATUS.items():
        doc = dict(problems[str(status)])
        if status == 401:
            doc["detail"] = unauthorized_detail
        out[rtype] = _gateway_response(status, _template_body(doc))
    # Everything else keeps API Gateway's status; `status` is left out (RFC 9457 makes it advisory)
    # and `detail` is API Gateway's message, already a JSON string literal in `messageString`.
    for rtype, status in (("DEFAULT_4XX", 400), ("DEFAULT_5XX", 500)):
        doc = {k: v for k, v in problems[str(status)].items() if k != "status"}
        out[rtype] = _gateway_response(None, _template_body(doc, "$context.error.messageString"))
    return out
