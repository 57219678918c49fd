"""The shared stack: the event topic, the custom domain and one base-path mapping per service.

The apps stay free of the custom domain (one stack owns it), and none of them owns the topic: every
service publishes to it and subscribes its own queue. Deploy order:

1. the shared stack with the `*RestApiId` parameters empty: the topic and its exported ARN;
2. the service stacks (they import the topic ARN by its export name);
3. the shared stack again with `DomainName`, `CertificateArn` and each service's `RestAPIId` output:
   the domain and the mappings `/<service>` → that API's stage (as the local gateway's path prefixes).
"""

from __future__ import annotations

from typing import Any

from . import cfn


def template(stage: str, services: dict[str, str]) -> dict[str, Any]:
    """`services` maps each service to its API Gateway stage name (chalice's `api_gateway_stage`)."""
    params: dict[str, Any] = {
        "DomainName": {"Type": "String", "Default": "",
                       "Description": "Custom domain of the API, e.g. api.ouderportaal.nl (empty: no domain)."},
        "CertificateArn": {"Type": "String", "Default": "",
                           "Description": "ACM certificate for DomainName, in this stack's region (REGIONAL)."},
    }
    conditions: dict[str, Any] = {"HasDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]}}
    topic_name = f"{stage}-events"
    resources: dict[str, Any] = {
        "EventsTopic": {"Type": "AWS::SNS::Topic", "Properties": {
            "TopicName": topic_name,  # settings.topic_name: the apps build the ARN from it
            "KmsMasterKeyId": "alias/aws/sns",
        }},
        "EventsTopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "EventsTopic"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
                "Resource": {"Ref": "EventsTopic"},
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
        }},
        "Domain": {"Type": "AWS::ApiGateway::DomainName", "Condition": "HasDomain", "Properties": {
            "DomainName": {"Ref": "DomainName"},
            "RegionalCertificateArn": {"Ref": "CertificateArn"},
            "EndpointConfiguration": {"Types": ["REGIONAL"]},
            "SecurityPolicy": "TLS_1_2",
        }},
    }
    outputs: dict[str, Any] = {
        "EventsTopicArn": {"Value": {"Ref": "EventsTopic"},
                           "Export": {"Name": cfn.topic_export_name(stage)}},
        "EventsTopicName": {"Value": {"Fn::GetAtt": ["EventsTopic", "TopicName"]},
                            "Export": {"Name": f"{stage}-events-topic-name"}},
        "DomainTarget": {"Condition": "HasDomain",
                         "Description": "Alias target (A/AAAA) for DomainName",
                         "Value": {"Fn::GetAtt": ["Domain", "RegionalDomainName"]}},
        "DomainHostedZoneId": {"Condition": "HasDomain",
                               "Value": {"Fn::GetAtt": ["Domain", "RegionalHostedZoneId"]}},
    }
    for service, api_stage in sorted(services.items()):
        pid = cfn.logical_id(service, "RestApiId")
        has = cfn.logical_id("Has", service, "Api")
        params[pid] = {"Type": "String", "Default": "",
                       "Description": f"RestAPIId output of the {service} service stack (empty: not mapped yet)."}
        conditions[has] = {"Fn::And": [{"Condition": "HasDomain"},
                                       {"Fn::Not": [{"Fn::Equals": [{"Ref": pid}, ""]}]}]}
        resources[cfn.logical_id(service, "BasePathMapping")] = {
            "Type": "AWS::ApiGateway::BasePathMapping", "Condition": has, "Properties": {
                "DomainName": {"Ref": "Domain"},
                "BasePath": service,
                "RestApiId": {"Ref": pid},
                "Stage": api_stage,
            }}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"ouderportaal shared stack ({stage}): event topic, custom domain, base-path mappings.",
        "Parameters": params,
        "Conditions": conditions,
        "Resources": resources,
        "Outputs": outputs,
    }
