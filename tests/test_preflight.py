"""Preflight: planned payloads checked against botocore's API models (tools.preflight).

Failing cases start from the real dev plan (the program run under the recording mocks) and change
one input, so every case is a realistic payload. Elastic Beanstalk cases use hand-written resources.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache

import pytest
from botocore.model import ListShape, MapShape, StructureShape
from conftest import run

from components import awsmodel
from tools import plan as plan_tool
from tools import preflight
from tools.preflight import check, check_resources
from tools.runner import committed_stacks

TASK = "aws:ecs/taskDefinition:TaskDefinition"
TG = "aws:lb/targetGroup:TargetGroup"


@cache
def base_plan(stack: str = "dev") -> dict:
    return plan_tool.build_plan(run(stack))


def mutated(type_: str, change: Callable[[dict], None], stack: str = "dev") -> preflight.PreflightReport:
    """Preflight the stack's plan after `change` edited the inputs of its one resource of `type_`."""
    plan = copy.deepcopy(base_plan(stack))
    (resource,) = [r for r in plan["resources"] if r["type"] == type_]
    change(resource)
    return check(plan)


def edit_container(change: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(resource: dict) -> None:
        containers = json.loads(resource["inputs"]["containerDefinitions"])
        change(containers[0])
        resource["inputs"]["containerDefinitions"] = json.dumps(containers)
    return apply


def texts(report: preflight.PreflightReport, resource: str) -> list[str]:
    return [str(p) for p in report.problems if p.resource == resource]


# --- the six cases of the issue -----------------------------------------------------------------

def test_misspelled_container_key_names_the_nearest_member():
    report = mutated(TASK, edit_container(lambda c: c.update(portMapping=c.pop("portMappings"))))
    assert texts(report, "catnip-web-task") == [
        "catnip-web-task: containerDefinitions[0].portMapping: unknown member; did you mean portMappings? "
        "(ecs RegisterTaskDefinition ContainerDefinition)"
    ]
    # ...and the service's load balancer now points at a port the container no longer maps.
    assert texts(report, "catnip-web-service") == [
        "catnip-web-service: loadBalancers[0].containerPort = 5000: container catnip of task definition "
        "catnip-web-task maps no ports (ecs CreateService LoadBalancer.containerPort, as documented in the API "
        "reference)"
    ]


def test_wrong_type_in_container_definition():
    report = mutated(TASK, edit_container(lambda c: c.update(essential="yes")))
    assert texts(report, "catnip-web-task") == [
        'catnip-web-task: containerDefinitions[0].essential = "yes": must be a boolean, not a string '
        "(ecs RegisterTaskDefinition ContainerDefinition.essential)"
    ]


def test_out_of_range_health_check_interval():
    report = mutated(TG, lambda r: r["inputs"]["healthCheck"].update(interval=400))
    assert texts(report, "catnip-web-tg") == [
        "catnip-web-tg: healthCheck.interval = 400: above the maximum 300 "
        "(elbv2 CreateTargetGroup.HealthCheckIntervalSeconds)"
    ]


def test_ecr_repository_name_with_uppercase():
    report = mutated("aws:ecr/repository:Repository", lambda r: r["inputs"].update(name="Catnip-dev"))
    assert texts(report, "catnip-image-repo") == [
        'catnip-image-repo: name = "Catnip-dev": does not match the pattern '
        r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)* "
        "(ecr CreateRepository.repositoryName)"
    ]


def test_over_long_target_group_name():
    report = mutated(TG, lambda r: r["inputs"].update(name="catnip-web-target-group-for-staging"))
    assert texts(report, "catnip-web-tg") == [
        'catnip-web-tg: name = "catnip-web-target-group-for-staging": longer than 32 characters '
        "(elbv2 CreateTargetGroup.Name, as documented in the API reference)"
    ]


def test_autonamed_target_group_name_counts_the_random_suffix():
    # No `name` input: Pulumi names it <logical name>-<7 random hex>; 25 + 8 characters is too long.
    report = mutated(TG, lambda r: r.update(name="catnip-web-target-group-x"))
    assert texts(report, "catnip-web-target-group-x") == [
        'catnip-web-target-group-x: name (autonamed) = "catnip-web-target-group-x-xxxxxxx": longer than '
        "32 characters (elbv2 CreateTargetGroup.Name, as documented in the API reference)"
    ]


EB_APP = {"type": "aws:elasticbeanstalk/application:Application", "name": "catnip-eb-app",
          "inputs": {"name": "catnip-tutorial", "description": "berth: catnip",
                     "appversionLifecycle": {"serviceRole": "arn:aws:iam::123456789012:role/eb-service",
                                             "maxCount": 10, "deleteSourceFromS3": True},
                     "tags": {"app": "catnip", "stack": "tutorial"}}}
EB_VERSION = {"type": "aws:elasticbeanstalk/applicationVersion:ApplicationVersion", "name": "catnip-eb-version",
              "inputs": {"name": "catnip-17acb5ed2d23", "application": "catnip-tutorial",
                         "bucket": "catnip-tutorial-a70b00ab",
                         "key": "versions/catnip-17acb5ed2d23/Dockerrun.aws.json",
                         "description": "docker.io/yourusername/catnip@sha256:17acb5ed2d23"}}
EB_ENV = {"type": "aws:elasticbeanstalk/environment:Environment", "name": "catnip-eb-env",
          "inputs": {"name": "catnip-tutorial", "application": "catnip-tutorial", "version": "catnip-17acb5ed2d23",
                     "solutionStackName": "64bit Amazon Linux 2023 v4.7.2 running Docker", "tier": "WebServer",
                     "settings": [
                         {"namespace": "aws:elasticbeanstalk:environment", "name": "EnvironmentType",
                          "value": "SingleInstance", "resource": ""},
                         {"namespace": "aws:elasticbeanstalk:application:environment", "name": "PORT",
                          "value": "5000", "resource": ""},
                     ]}}
EB_BUCKET = {"type": "aws:s3/bucket:Bucket", "name": "catnip-eb-bundles",
             "inputs": {"bucketPrefix": "catnip-tutorial-", "forceDestroy": True}}


def eb(**env_inputs) -> preflight.PreflightReport:
    env = copy.deepcopy(EB_ENV)
    env["inputs"].update(env_inputs)
    return check_resources([EB_APP, EB_VERSION, env, EB_BUCKET])


def test_beanstalk_environment_name_of_three_characters():
    assert [str(p) for p in eb(name="cat").problems] == [
        'catnip-eb-env: name = "cat": shorter than 4 characters (elasticbeanstalk CreateEnvironment.EnvironmentName)'
    ]


def test_beanstalk_resources_as_planned_pass():
    report = eb()
    assert report.problems == []
    assert report.payloads == 4 and report.fields_checked >= 30
    # the empty `resource` of an option setting is not sent (ResourceName has a minimum length of 1)
    assert report.checked[2]["api"] == "elasticbeanstalk CreateEnvironment"


def test_beanstalk_names_versions_and_settings():
    long_label = {**EB_VERSION, "inputs": {**EB_VERSION["inputs"], "name": "v" * 101}}
    report = check_resources([long_label])
    assert [str(p) for p in report.problems] == [
        f'catnip-eb-version: name = "{"v" * 79}…": longer than 100 characters '
        "(elasticbeanstalk CreateApplicationVersion.VersionLabel)"
    ]
    report = eb(name="-catnip", settings=[{"namespace": "aws:elasticbeanstalk:environment", "nam": "X",
                                          "value": "1"}])
    assert [str(p) for p in report.problems] == [
        'catnip-eb-env: name = "-catnip": may contain only letters, digits and hyphens, not beginning or ending '
        "with a hyphen (elasticbeanstalk CreateEnvironment.EnvironmentName, as documented in the API reference)",
    ]  # an unknown key in a typed provider input is the provider's business, not a dropped member


def test_bucket_names_follow_the_s3_rules():
    report = check_resources([{"type": "aws:s3/bucket:Bucket", "name": "b", "inputs": {"bucket": "My_Bucket"}}])
    assert [p.message for p in report.problems] == [
        "may contain only lowercase letters, digits, dots and hyphens",
        "must begin and end with a lowercase letter or a digit",
    ]
    assert check_resources([{"type": "aws:s3/bucket:Bucket", "name": "b",
                             "inputs": {"bucket": "192.168.5.4"}}]).problems[0].message == \
        "must not be formatted as an IP address"
    # autonamed: the logical name, lowercased by the provider, + "-" + 7 random characters
    assert check_resources([{"type": "aws:s3/bucket:Bucket", "name": "Bundles", "inputs": {}}]).problems == []


# --- nested keys, enums, hand-written ECS rules -------------------------------------------------

def test_misplaced_log_configuration_mode_is_caught():
    def misplace(c: dict) -> None:
        c["logConfiguration"]["mode"] = c["logConfiguration"]["options"].pop("mode")

    report = mutated(TASK, edit_container(misplace))
    assert texts(report, "catnip-web-task") == [
        "catnip-web-task: containerDefinitions[0].logConfiguration.mode: unknown member; the members of "
        "LogConfiguration are logDriver, options, secretOptions (ecs RegisterTaskDefinition LogConfiguration)"
    ]


def test_wrong_network_mode_enum():
    report = mutated(TASK, lambda r: r["inputs"].update(networkMode="bridgey"))
    assert texts(report, "catnip-web-task") == [
        'catnip-web-task: networkMode = "bridgey": not one of bridge, host, awsvpc, none; did you mean bridge? '
        "(ecs RegisterTaskDefinition.networkMode)",
        'catnip-web-task: networkMode = "bridgey": Fargate requires awsvpc '
        "(ecs RegisterTaskDefinition.networkMode, as documented in the API reference)",
    ]


def test_requires_compatibilities_items_are_enums():
    report = mutated(TASK, lambda r: r["inputs"].update(requiresCompatibilities=["FARGATE", "fargate"]))
    assert texts(report, "catnip-web-task") == [
        'catnip-web-task: requiresCompatibilities[1] = "fargate": not one of EC2, FARGATE, EXTERNAL, '
        "MANAGED_INSTANCES; did you mean FARGATE? (ecs RegisterTaskDefinition.requiresCompatibilities)"
    ]


def test_awsvpc_host_port_must_equal_container_port():
    report = mutated(TASK, edit_container(lambda c: c["portMappings"][0].update(hostPort=8080)))
    assert texts(report, "catnip-web-task") == [
        "catnip-web-task: containerDefinitions[0].portMappings[0].hostPort = 8080: must equal containerPort (5000) "
        "with the awsvpc network mode, or be left out "
        "(ecs RegisterTaskDefinition PortMapping.hostPort, as documented in the API reference)"
    ]


def test_bad_fargate_cpu_memory_pair():
    report = mutated(TASK, lambda r: r["inputs"].update(cpu="256", memory="4096"))
    assert texts(report, "catnip-web-task") == [
        'catnip-web-task: memory = "4096": with cpu 256 Fargate accepts 512, 1024, 2048 MiB '
        "(Fargate task CPU and memory, Amazon ECS developer guide)"
    ]
    report = mutated(TASK, lambda r: r["inputs"].update(cpu="1 vCPU", memory="2 GB"))
    assert texts(report, "catnip-web-task") == []  # ECS also takes vCPU and GB strings


def test_container_health_check_and_types_inside_the_json():
    def change(c: dict) -> None:
        c["healthCheck"] = {"command": ["CMD-SHELL", "curl -f http://localhost:5000/health"], "interval": 1}
        c["portMappings"][0]["containerPort"] = "5000"

    report = mutated(TASK, edit_container(change))
    assert texts(report, "catnip-web-task") == [
        'catnip-web-task: containerDefinitions[0].portMappings[0].containerPort = "5000": must be an integer, '
        "not a string (ecs RegisterTaskDefinition PortMapping.containerPort)",
        "catnip-web-task: containerDefinitions[0].healthCheck.interval = 1: must be from 5 to 300 "
        "(ecs RegisterTaskDefinition HealthCheck.interval, as documented in the API reference)",
    ]


def test_secret_and_environment_entries_are_checked_as_structures():
    report = mutated(TASK, edit_container(lambda c: c.update(secrets=[{"name": "DB", "valuefrom": "arn:x"}],
                                                              environment=[{"name": "A", "value": 1}])))
    assert texts(report, "catnip-web-task") == [
        "catnip-web-task: containerDefinitions[0].environment[0].value = 1: must be a string, not an integer "
        "(ecs RegisterTaskDefinition KeyValuePair.value)",
        "catnip-web-task: containerDefinitions[0].secrets[0].valuefrom: unknown member; did you mean valueFrom? "
        "(ecs RegisterTaskDefinition Secret)",
        "catnip-web-task: containerDefinitions[0].secrets[0].valueFrom: missing; the API requires it "
        "(ecs RegisterTaskDefinition Secret)",
    ]


def test_names_read_by_iam_and_cloudwatch_logs_patterns():
    report = mutated("aws:iam/role:Role", lambda r: r["inputs"].update(name="rôle-exécution"))
    assert texts(report, "catnip-web-execution-role") == [
        'catnip-web-execution-role: name = "rôle-exécution": does not match the pattern [\\w+=,.@-]+ '
        "(iam CreateRole.RoleName)"  # Java's \w is ASCII-only, so is the check
    ]
    report = mutated("aws:cloudwatch/logGroup:LogGroup", lambda r: r["inputs"].update(name="/berth/cat nip/dev"))
    assert texts(report, "catnip-web-logs") == [
        'catnip-web-logs: name = "/berth/cat nip/dev": does not match the pattern [\\.\\-_/#A-Za-z0-9]+ '
        "(logs CreateLogGroup.logGroupName)",
        'catnip-web-logs: name = "/berth/cat nip/dev": does not match the pattern [\\.\\-_/#A-Za-z0-9]+ '
        "(logs PutRetentionPolicy.logGroupName)",
    ]


def test_tags_are_checked_with_the_api_tag_rules():
    report = mutated("aws:iam/role:Role", lambda r: r["inputs"]["tags"].update({"k" * 129: "v"}))
    assert [p.message for p in report.problems if p.resource == "catnip-web-execution-role"] == [
        "longer than 128 characters"]
    assert [p.path for p in report.problems if p.resource == "catnip-web-execution-role"] == [
        f"tags.{'k' * 129} (key)"]


def test_secrets_are_skipped_not_flagged():
    report = mutated(TASK, lambda r: r["inputs"].update(containerDefinitions=preflight.SECRET_TEXT))
    assert texts(report, "catnip-web-task") == []
    assert report.skipped == 1
    version = {"type": "aws:secretsmanager/secretVersion:SecretVersion", "name": "hub-token",
               "inputs": {"secretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:hub-AbCdEf",
                          "secretString": "[secret]"}}
    report = check_resources([version])
    assert (report.problems, report.skipped, report.fields_checked) == ([], 1, 1)
    assert preflight.SECRET_TEXT == plan_tool.SECRET_TEXT


def test_values_not_known_yet_are_skipped():
    class Unknown:  # what a pulumi.Output looks like to preflight at program time
        pass

    problems = preflight.check_resource(TG, "catnip-web-tg", {"port": Unknown(), "healthCheck": {"interval": 301}})
    assert [str(p) for p in problems] == [
        "catnip-web-tg: healthCheck.interval = 301: above the maximum 300 "
        "(elbv2 CreateTargetGroup.HealthCheckIntervalSeconds)"
    ]


def test_service_load_balancer_must_name_a_mapped_container_port():
    report = mutated("aws:ecs/service:Service", lambda r: r["inputs"]["loadBalancers"][0].update(containerName="web"))
    assert texts(report, "catnip-web-service") == [
        'catnip-web-service: loadBalancers[0].containerName = "web": no such container in task definition '
        "catnip-web-task (containers: catnip) (ecs CreateService LoadBalancer.containerPort, as documented in the "
        "API reference)"
    ]


# --- every committed stack, speed, the CLI ------------------------------------------------------

@pytest.mark.parametrize("stack", committed_stacks())
def test_every_committed_stack_passes_preflight(stack):
    report = check(base_plan(stack))
    assert [str(p) for p in report.problems] == []
    assert report.payloads >= 10 and report.fields_checked >= 150
    assert report.seconds < 0.5
    assert report.to_json()["fields_checked"] == report.fields_checked


def test_report_json_section():
    data = check(base_plan("dev")).to_json()
    assert set(data) >= {"ok", "payloads", "fields_checked", "skipped", "seconds", "problems", "checked",
                         "not_checked", "notes"}
    apis = {c["api"] for c in data["checked"]}
    assert {"ecs RegisterTaskDefinition", "ecr CreateRepository", "elbv2 CreateTargetGroup",
            "elbv2 CreateLoadBalancer", "iam CreateRole", "logs CreateLogGroup"} <= apis
    assert data["not_checked"] == {"docker:index/image:Image": ["catnip-image-build"]}
    json.dumps(data)


def test_cli_exit_status(monkeypatch, capsys):
    bad = copy.deepcopy(base_plan("dev"))
    bad["resources"] = [r for r in bad["resources"] if r["type"] == TG]
    bad["resources"][0]["inputs"]["healthCheck"]["interval"] = 400
    good = copy.deepcopy(bad)
    good["resources"][0]["inputs"]["healthCheck"]["interval"] = 5
    monkeypatch.setattr("tools.runner.run_stack", lambda stack: stack)
    monkeypatch.setattr("tools.plan.build_plan", lambda stack: bad if stack == "bad" else good)
    assert preflight.main(["--stack", "bad"]) == 2
    out = capsys.readouterr().out
    assert "1 problem(s)" in out and "error: catnip-web-tg: healthCheck.interval = 400" in out
    assert preflight.main(["--stack", "good", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["good"]["ok"] is True


# --- the models themselves ----------------------------------------------------------------------

def test_every_operation_used_is_listed_for_the_model_tests():
    used = {c["api"] for stack in committed_stacks() for c in check(base_plan(stack)).to_json()["checked"]}
    used |= {c["api"] for c in eb().checked}
    assert used <= {f"{service} {operation}" for service, operation in preflight.OPERATIONS}


@pytest.mark.parametrize(("service", "operation"), preflight.OPERATIONS)
def test_model_of_every_operation_loads_and_its_patterns_translate(service, operation):
    shape = awsmodel.input_shape(service, operation)
    assert shape.members, f"{service} {operation} has no input members"
    untranslatable = []
    seen: set[str] = set()
    stack = [shape]
    while stack:
        s = stack.pop()
        if s.name in seen:
            continue
        seen.add(s.name)
        if s.metadata.get("pattern") and awsmodel.python_pattern(s.metadata["pattern"]) is None:
            untranslatable.append(awsmodel.pattern_note(s.metadata["pattern"]))
        if isinstance(s, StructureShape):
            stack.extend(s.members.values())
        elif isinstance(s, ListShape):
            stack.append(s.member)
        elif isinstance(s, MapShape):
            stack.extend((s.key, s.value))
    assert untranslatable == []


# The shapes and members preflight and settings rely on: a botocore upgrade that renames or drops
# one fails here, by name.
RELIED_ON = [
    ("ecs", "RegisterTaskDefinition", "containerDefinitions", "list", {}),
    ("ecs", "RegisterTaskDefinition", "containerDefinitions.portMappings", "list", {}),
    ("ecs", "RegisterTaskDefinition", "containerDefinitions.portMappings.hostPort", "integer", {}),
    ("ecs", "RegisterTaskDefinition", "containerDefinitions.logConfiguration.options", "map", {}),
    ("ecs", "RegisterTaskDefinition", "containerDefinitions.healthCheck.interval", "integer", {}),
    ("ecs", "RegisterTaskDefinition", "containerDefinitions.secrets.valueFrom", "string", {}),
    ("ecs", "RegisterTaskDefinition", "containerDefinitions.environment.value", "string", {}),
    ("ecs", "RegisterTaskDefinition", "containerDefinitions.essential", "boolean", {}),
    ("ecs", "RegisterTaskDefinition", "networkMode", "string", {}),
    ("ecs", "RegisterTaskDefinition", "requiresCompatibilities", "list", {}),
    ("ecs", "RegisterTaskDefinition", "runtimePlatform.cpuArchitecture", "string", {}),
    ("ecr", "CreateRepository", "repositoryName", "string", {"min": 2, "max": 256}),
    ("elbv2", "CreateTargetGroup", "Name", "string", {}),
    ("elbv2", "CreateTargetGroup", "HealthCheckIntervalSeconds", "integer", {"min": 5, "max": 300}),
    ("elbv2", "CreateTargetGroup", "HealthCheckTimeoutSeconds", "integer", {"min": 2, "max": 120}),
    ("elbv2", "CreateTargetGroup", "HealthyThresholdCount", "integer", {"min": 2, "max": 10}),
    ("elbv2", "CreateTargetGroup", "UnhealthyThresholdCount", "integer", {"min": 2, "max": 10}),
    ("elbv2", "CreateTargetGroup", "HealthCheckPath", "string", {"min": 1, "max": 1024}),
    ("elbv2", "CreateLoadBalancer", "Name", "string", {}),
    ("elasticbeanstalk", "CreateApplication", "ApplicationName", "string", {"min": 1, "max": 100}),
    ("elasticbeanstalk", "CreateEnvironment", "EnvironmentName", "string", {"min": 4, "max": 40}),
    ("elasticbeanstalk", "CreateEnvironment", "OptionSettings.ResourceName", "string", {"min": 1, "max": 256}),
    ("elasticbeanstalk", "CreateApplicationVersion", "VersionLabel", "string", {"min": 1, "max": 100}),
    ("iam", "CreateRole", "RoleName", "string", {"min": 1, "max": 64}),
    ("logs", "CreateLogGroup", "logGroupName", "string", {"min": 1, "max": 512}),
]


@pytest.mark.parametrize(("service", "operation", "path", "type_name", "limits"), RELIED_ON)
def test_relied_on_shapes_exist(service, operation, path, type_name, limits):
    shape = awsmodel.member_shape(service, operation, path)
    assert shape.type_name == type_name
    for key, value in limits.items():
        assert shape.metadata.get(key) == value, f"{service} {operation}.{path} {key}"
    for service_, operation_, member in (("ecr", "CreateRepository", "repositoryName"),
                                         ("iam", "CreateRole", "RoleName"), ("logs", "CreateLogGroup", "logGroupName")):
        assert awsmodel.member_shape(service_, operation_, member).metadata.get("pattern")


def test_member_rule_api_is_unchanged():
    rule = awsmodel.member_rule("ecr", "CreateRepository", "repositoryName")
    assert rule.problems("catnip-dev") == []
    assert rule.problems("Catnip") == [f"does not match the pattern {rule.pattern}"]
    assert rule.describe().endswith("(ecr CreateRepository.repositoryName)")


def test_java_patterns_in_python():
    # Java's \w is ASCII; \p{L} \p{N} \p{Z} have no `re` spelling; supplementary characters are
    # written as UTF-16 surrogate pairs.
    assert awsmodel.matches(r"[\w+=,.@-]+", "rôle") is False
    assert awsmodel.matches(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "Équipe 2") is True
    assert awsmodel.matches(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "a!b") is False
    assert awsmodel.matches(r"\p{Print}+", "tab\there") is False
    assert awsmodel.matches(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*", "ok \U0001F600") is True
    assert awsmodel.python_pattern(r"[a-z&&[^x]]") is None
    assert "not checked" in awsmodel.pattern_note(r"[a-z&&[^x]]")
