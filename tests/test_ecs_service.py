"""FargateWebService: port 5000 end to end, locked-down security groups, fast and safe rollouts."""

from __future__ import annotations

import json

import pytest
from conftest import container_definitions

from components.ecs_service import TLS_POLICY, secret_read_statements
from tools.mockcloud import ACCOUNT

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab"


def by_name(run, typ, suffix):
    return next(r for r in run.of_type(typ) if r.name.endswith(suffix))


def test_port_5000_in_container_target_group_service_and_task_rule(plan):
    run = plan("dev")
    container = container_definitions(run)[0]
    assert container["portMappings"] == [
        {"name": "http", "containerPort": 5000, "hostPort": 5000, "protocol": "tcp", "appProtocol": "http"}
    ]
    assert {"name": "PORT", "value": "5000"} in container["environment"]
    tg = run.one("aws:lb/targetGroup:TargetGroup")
    assert (tg.inputs["port"], tg.inputs["protocol"], tg.inputs["targetType"]) == (5000, "HTTP", "ip")
    lb = run.one("aws:ecs/service:Service").inputs["loadBalancers"]
    assert lb == [{"targetGroupArn": tg.id, "containerName": "catnip", "containerPort": 5000}]
    rule = by_name(run, INGRESS, "task-in-app")
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (5000, 5000)


def test_another_port_follows_everywhere(plan):
    run = plan("dev", port=8080)
    assert container_definitions(run)[0]["portMappings"][0]["containerPort"] == 8080
    assert run.one("aws:lb/targetGroup:TargetGroup").inputs["port"] == 8080
    assert by_name(run, INGRESS, "task-in-app").inputs["fromPort"] == 8080


def test_tasks_accept_the_app_port_only_from_the_alb(plan):
    run = plan("dev")
    alb_sg = by_name(run, "aws:ec2/securityGroup:SecurityGroup", "alb-sg")
    task_sg = by_name(run, "aws:ec2/securityGroup:SecurityGroup", "task-sg")
    task_rules = [r for r in run.of_type(INGRESS) if r.inputs["securityGroupId"] == task_sg.id]
    assert len(task_rules) == 1
    assert task_rules[0].inputs["referencedSecurityGroupId"] == alb_sg.id
    assert "cidrIpv4" not in task_rules[0].inputs
    world = [r for r in run.of_type(INGRESS) if r.inputs.get("cidrIpv4") == "0.0.0.0/0"]
    assert [(r.inputs["securityGroupId"], r.inputs["fromPort"]) for r in world] == [(alb_sg.id, 80)]
    alb_out = by_name(run, EGRESS, "alb-out-app")
    assert alb_out.inputs["referencedSecurityGroupId"] == task_sg.id and alb_out.inputs["fromPort"] == 5000
    service = run.one("aws:ecs/service:Service")
    assert service.inputs["networkConfiguration"]["securityGroups"] == [task_sg.id]


def test_ingress_can_be_restricted(plan):
    run = plan("dev", ingressCidrs=["203.0.113.0/24", "198.51.100.0/24"])
    cidrs = sorted(r.inputs["cidrIpv4"] for r in run.of_type(INGRESS) if "cidrIpv4" in r.inputs)
    assert cidrs == ["198.51.100.0/24", "203.0.113.0/24"]


def test_fast_rollout_defaults(plan):
    run = plan("dev")
    hc = run.one("aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]
    assert hc["path"] == "/health" and hc["interval"] == 5 and hc["healthyThreshold"] == 2
    assert hc["timeout"] < hc["interval"]
    assert run.one("aws:lb/targetGroup:TargetGroup").inputs["deregistrationDelay"] == 5
    service = run.one("aws:ecs/service:Service").inputs
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (service["deploymentMinimumHealthyPercent"], service["deploymentMaximumPercent"]) == (100, 200)
    assert service["healthCheckGracePeriodSeconds"] == 30
    assert container_definitions(run)[0]["stopTimeout"] == 5


def test_health_check_settings_reach_the_target_group(plan):
    run = plan("dev", healthCheckPath="/ready", healthCheckInterval=10, healthCheckTimeout=3,
               healthyThreshold=3, unhealthyThreshold=4, deregistrationDelay=5)
    tg = run.one("aws:lb/targetGroup:TargetGroup").inputs
    assert tg["deregistrationDelay"] == 5
    assert {k: tg["healthCheck"][k] for k in ("path", "interval", "timeout", "healthyThreshold",
                                              "unhealthyThreshold")} == {
        "path": "/ready", "interval": 10, "timeout": 3, "healthyThreshold": 3, "unhealthyThreshold": 4}


def test_task_definition_is_fargate_awsvpc_with_validated_size(plan):
    td = plan("dev", cpu=512, memory=2048).one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert td["requiresCompatibilities"] == ["FARGATE"] and td["networkMode"] == "awsvpc"
    assert (td["cpu"], td["memory"]) == ("512", "2048")
    assert td["family"] == "catnip-dev"


def test_logs_go_to_a_group_with_retention_without_blocking_the_app(plan):
    run = plan("dev")
    group = run.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert group["name"] == "/berth/catnip/dev" and group["retentionInDays"] == 7
    log = container_definitions(run)[0]["logConfiguration"]
    assert log["logDriver"] == "awslogs"
    assert log["options"]["awslogs-group"] == "/berth/catnip/dev"
    assert log["options"]["awslogs-region"] == "us-east-1"
    assert log["options"]["mode"] == "non-blocking"  # inside options, where ECS reads it
    assert "mode" not in log


def test_execution_role_has_only_the_ecs_execution_policy(plan):
    run = plan("dev")
    role = run.one("aws:iam/role:Role").inputs
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    attached = [a.inputs["policyArn"] for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert attached == ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    assert not run.of_type("aws:iam/rolePolicy:RolePolicy")
    td = run.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert "taskRoleArn" not in td  # the app itself gets no AWS permissions unless asked


def test_runtime_secrets_come_through_value_from_and_exact_iam(plan):
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    param = "arn:aws:ssm:us-east-1:123456789012:parameter/catnip/api"
    run = plan("dev", secrets=[f"DB_URL={secret}:url::", f"API={param}"], environment=["LOG_LEVEL=info"])
    container = container_definitions(run)[0]
    assert container["secrets"] == [
        {"name": "API", "valueFrom": param},
        {"name": "DB_URL", "valueFrom": f"{secret}:url::"},
    ]
    assert all(e["name"] in ("LOG_LEVEL", "PORT") for e in container["environment"])
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [secret]},
        {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": [param]},
    ]


def test_secret_read_statements_strip_json_key_suffix():
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf"
    assert secret_read_statements([f"{arn}:password::"])[0]["Resource"] == [arn]


def test_private_docker_hub_gets_repository_credentials(plan):
    from conftest import HUB

    run = plan("dev", **HUB, dockerHubPrivate=True)
    secret = run.one("aws:secretsmanager/secret:Secret")
    container = container_definitions(run)[0]
    assert container["repositoryCredentials"] == {"credentialsParameter": secret.id}
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"][0]["Resource"] == [secret.id]
    assert secret.inputs["recoveryWindowInDays"] == 0


def test_public_docker_hub_needs_no_credentials(plan):
    from conftest import HUB

    run = plan("dev", **HUB)
    assert "repositoryCredentials" not in container_definitions(run)[0]
    assert not run.of_type("aws:secretsmanager/secret:Secret")


def test_spot_uses_the_fargate_spot_capacity_provider(plan):
    run = plan("dev")
    service = run.one("aws:ecs/service:Service")
    assert service.inputs["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert "launchType" not in service.inputs
    capacity = run.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert capacity.urn in service.dependencies
    on_demand = plan("staging").one("aws:ecs/service:Service")
    assert on_demand.inputs["launchType"] == "FARGATE" and "capacityProviderStrategies" not in on_demand.inputs


def test_service_waits_for_its_listener(plan):
    run = plan("dev")
    listener = run.one("aws:lb/listener:Listener")
    assert listener.urn in run.one("aws:ecs/service:Service").dependencies


def test_prod_autoscaling_and_desired_count_left_to_the_scaler(plan):
    run = plan("prod")
    service = run.one("aws:ecs/service:Service")
    assert service.inputs["desiredCount"] == 2
    assert service.ignore_changes == ["desiredCount"]
    target = run.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    assert target["resourceId"].startswith("service/catnip-web-cluster-")
    policy = run.one("aws:appautoscaling/policy:Policy").inputs
    cfg = policy["targetTrackingScalingPolicyConfiguration"]
    assert cfg["targetValue"] == 60
    assert cfg["predefinedMetricSpecification"] == {"predefinedMetricType": "ECSServiceAverageCPUUtilization"}
    assert not plan("dev").of_type("aws:appautoscaling/target:Target")
    assert plan("dev").one("aws:ecs/service:Service").ignore_changes == []


def test_prod_is_protected(plan):
    run = plan("prod")
    alb = run.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["enableDeletionProtection"] is True and alb.protect is True
    assert run.one("aws:cloudwatch/logGroup:LogGroup").protect is True
    assert plan("dev").one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is False


def test_certificate_adds_https_and_redirects_http(plan):
    run = plan("prod", certificateArn=CERT)
    listeners = {r.inputs["port"]: r.inputs for r in run.of_type("aws:lb/listener:Listener")}
    assert listeners[443]["protocol"] == "HTTPS" and listeners[443]["certificateArn"] == CERT
    assert listeners[443]["sslPolicy"] == TLS_POLICY
    assert listeners[80]["defaultActions"][0]["type"] == "redirect"
    assert listeners[80]["defaultActions"][0]["redirect"]["protocol"] == "HTTPS"
    ports = sorted(r.inputs["fromPort"] for r in run.of_type(INGRESS) if r.inputs.get("cidrIpv4"))
    assert ports == [80, 443]
    assert run.outputs["url"].startswith("https://")


def test_without_certificate_http_forwards(plan):
    listener = plan("dev").one("aws:lb/listener:Listener").inputs
    assert listener["port"] == 80 and listener["defaultActions"][0]["type"] == "forward"


def test_alb_is_internet_facing_in_public_subnets_and_drops_bad_headers(plan):
    alb = plan("dev").one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert alb["loadBalancerType"] == "application" and alb["internal"] is False
    assert alb["dropInvalidHeaderFields"] is True


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_container_definition_has_no_nulls(plan, stack):
    def walk(v):
        assert v is not None
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        if isinstance(v, list):
            for x in v:
                walk(x)

    walk(container_definitions(plan(stack)))


def test_service_refuses_an_image_built_for_another_cpu():
    """The component guards the pairing itself, not only the settings loader."""
    from types import SimpleNamespace

    import pulumi

    from components.ecs_service import FargateServiceArgs, FargateWebService
    from components.settings import parse
    from tools.mockcloud import CloudMocks
    from tools.runner import ROOT

    settings = parse({}, stack="dev", project_dir=ROOT)
    args: FargateServiceArgs = settings.ecs
    pulumi.runtime.settings.set_root_resource(None)
    pulumi.runtime.set_mocks(CloudMocks(), project="berth", stack="unit", preview=False)
    x86_image = SimpleNamespace(platform="linux/amd64")
    with pytest.raises(ValueError, match="image platform linux/amd64 does not match the service platform linux/arm64"):
        FargateWebService("unit-web", args, image=x86_image, network=SimpleNamespace())  # type: ignore[arg-type]


def test_adding_a_cidr_adds_one_rule_and_renames_none(plan):
    """Renaming a rule would make Pulumi create its twin before deleting it: a duplicate-rule error."""
    one = {r.name for r in plan("dev").of_type(INGRESS)}
    two = {r.name for r in plan("dev", ingressCidrs=["0.0.0.0/0", "203.0.113.0/24"]).of_type(INGRESS)}
    assert one < two and two - one == {"catnip-web-alb-in-80-203-0-113-0-24"}
