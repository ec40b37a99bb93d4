"""BeanstalkWebApp: the same digest on Elastic Beanstalk's Docker platform, port 5000 mapped,
versions tied to the digest, option settings that never show a perpetual diff."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HUB, container_definitions

from components.beanstalk import (
    DOCKER_HUB_AUTH_SERVER,
    SOLUTION_STACK_REGEX,
    dockerrun,
    instance_architecture,
    version_label,
)
from components.settings import SettingsError, parse
from tools.mockcloud import ACCOUNT, Secret, reveal
from tools.runner import ROOT

ENV = "aws:elasticbeanstalk/environment:Environment"
VERSION = "aws:elasticbeanstalk/applicationVersion:ApplicationVersion"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
# The dev stack runs ECS on Spot; switching it to Beanstalk drops that ECS-only key (None removes it).
EB = {"service": "beanstalk", "spot": None}
EB_HUB_PRIVATE = {**EB, **HUB, "dockerHubPrivate": True}


def options(run) -> dict[tuple[str, str], str]:
    return {(o["namespace"], o["name"]): o["value"] for o in run.one(ENV).inputs["settings"]}


def dockerrun_of(run) -> dict:
    bundle = next(o for o in run.of_type(OBJECT) if o.name.endswith("-dockerrun"))
    return json.loads(bundle.inputs["source"]["text"])


@pytest.mark.parametrize("overrides", [EB, {**EB, **HUB}], ids=["ecr", "dockerhub"])
def test_dockerrun_v1_runs_the_digest_on_port_5000(plan, overrides):
    run = plan("dev", **overrides)
    doc = dockerrun_of(run)
    assert doc["AWSEBDockerrunVersion"] == "1"
    assert doc["Image"]["Name"] == run.outputs["image_ref"]
    assert "@sha256:" in doc["Image"]["Name"]
    assert doc["Ports"] == [{"ContainerPort": 5000}]
    assert "Authentication" not in doc
    assert not run.of_type("aws:ecs/service:Service")


def test_another_port_reaches_dockerrun_and_the_app(plan):
    run = plan("dev", **EB, port=8080)
    assert dockerrun_of(run)["Ports"] == [{"ContainerPort": 8080}]
    assert options(run)[("aws:elasticbeanstalk:application:environment", "PORT")] == "8080"


def test_private_docker_hub_auth_file_layout_and_secrecy(plan):
    run = plan("dev", **EB_HUB_PRIVATE)
    auth = next(o for o in run.of_type(OBJECT) if o.name.endswith("-registry-auth"))
    assert isinstance(auth.inputs["content"], Secret)  # encrypted in state, "[secret]" in plans
    token = "dckr_pat_not-a-real-token"
    expected = base64.b64encode(f"yourusername:{token}".encode()).decode()
    # The layout `docker login` writes, which Amazon Linux 2+ Docker platforms read as is.
    assert json.loads(reveal(auth.inputs["content"])) == {"auths": {DOCKER_HUB_AUTH_SERVER: {"auth": expected}}}
    assert auth.inputs["key"].endswith("/.dockercfg")
    bucket = run.one("aws:s3/bucket:Bucket")
    assert dockerrun_of(run)["Authentication"] == {"Bucket": bucket.id, "Key": auth.inputs["key"]}
    policy = json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"] == [{"Effect": "Allow", "Action": "s3:GetObject",
                                    "Resource": f"arn:aws:s3:::{bucket.id}/{auth.inputs['key']}"}]
    plain = json.dumps([r.inputs for r in run.resources], default=lambda v: "[secret]")
    assert token not in plain and expected not in plain


def test_ecr_images_need_no_auth_file_but_ecr_read(plan):
    run = plan("dev", **EB)
    assert [o.name for o in run.of_type(OBJECT)] == ["catnip-eb-dockerrun"]
    policies = next(r for r in run.of_type("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive")
                    if r.name.endswith("instance-policies")).inputs["policyArns"]
    assert policies == ["arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier",
                        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"]
    hub = plan("tutorial")
    hub_policies = next(r for r in hub.of_type("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive")
                        if r.name.endswith("instance-policies")).inputs["policyArns"]
    assert hub_policies == ["arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier"]


def test_service_role_has_enhanced_health_and_managed_updates(plan):
    run = plan("tutorial")
    role = next(r for r in run.of_type("aws:iam/role:Role") if r.name.endswith("service-role"))
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "elasticbeanstalk.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "elasticbeanstalk"}}
    attached = next(r for r in run.of_type("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive")
                    if r.name.endswith("service-policies"))
    assert attached.inputs["policyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth",
        "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
    ]
    assert options(run)[("aws:elasticbeanstalk:environment", "ServiceRole")] == role.outputs["arn"]


def test_version_label_and_key_follow_the_digest(plan):
    run = plan("tutorial")
    digest = run.outputs["image_ref"].split("@sha256:")[1]
    version = run.one(VERSION)
    assert version.inputs["name"] == f"catnip-{digest[:12]}" == run.outputs["version_label"]
    assert version.inputs["key"] == f"versions/catnip-{digest[:12]}/Dockerrun.aws.json"
    assert version.inputs["bucket"] == run.one("aws:s3/bucket:Bucket").id
    # Replaced versions stay behind for rollbacks (the application lifecycle prunes them).
    app = run.one("aws:elasticbeanstalk/application:Application").inputs
    assert app["appversionLifecycle"]["maxCount"] == 10 and app["appversionLifecycle"]["deleteSourceFromS3"]


def test_version_label_helper():
    ref = "docker.io/u/catnip@sha256:" + "ab" * 32
    assert version_label("catnip", ref) == "catnip-abababababab"
    assert version_label("catnip", ref) == version_label("catnip", ref)
    assert version_label("catnip", ref.replace("ab", "cd", 1)) != version_label("catnip", ref)


def test_environment_references_and_waits_for_the_version(plan):
    run = plan("tutorial")
    version, env = run.one(VERSION), run.one(ENV)
    assert env.inputs["version"] == version.inputs["name"]
    assert version.urn in env.dependencies


def test_settings_are_sorted_canonical_and_stable_across_runs(plan):
    from tools.runner import run_stack

    first = run_stack("tutorial").one(ENV).inputs["settings"]
    second = run_stack("tutorial").one(ENV).inputs["settings"]
    assert json.dumps(first) == json.dumps(second)  # byte for byte
    keys = [(o["namespace"], o["name"]) for o in first]
    assert keys == sorted(keys) and len(keys) == len(set(keys))
    assert all(o["resource"] == "" and isinstance(o["value"], str) for o in first)
    assert all(o["value"] not in ("True", "False") for o in first)


def test_single_instance_is_the_cheap_default_with_enhanced_health_and_logs(plan):
    opts = options(plan("tutorial"))
    assert opts[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "SingleInstance"
    assert ("aws:elasticbeanstalk:environment", "LoadBalancerType") not in opts
    assert opts[("aws:ec2:instances", "InstanceTypes")] == "t4g.micro"
    assert opts[("aws:elasticbeanstalk:healthreporting:system", "SystemType")] == "enhanced"
    assert opts[("aws:elasticbeanstalk:application", "Application Healthcheck URL")] == "/health"
    assert opts[("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs")] == "true"
    assert opts[("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays")] == "7"
    assert opts[("aws:elasticbeanstalk:command", "DeploymentPolicy")] == "AllAtOnce"
    assert opts[("aws:autoscaling:launchconfiguration", "DisableIMDSv1")] == "true"


def test_load_balanced_uses_an_application_load_balancer_and_the_health_settings(plan):
    run = plan("dev", **EB, environmentType="LoadBalanced", minCount=2, maxCount=4, deregistrationDelay=10)
    opts = options(run)
    assert opts[("aws:elasticbeanstalk:environment", "LoadBalancerType")] == "application"
    process = "aws:elasticbeanstalk:environment:process:default"
    assert opts[(process, "HealthCheckPath")] == "/health"
    assert opts[(process, "HealthCheckInterval")] == "5"
    assert opts[(process, "HealthyThresholdCount")] == "2"
    assert opts[(process, "DeregistrationTimeout")] == "10"
    assert (opts[("aws:autoscaling:asg", "MinSize")], opts[("aws:autoscaling:asg", "MaxSize")]) == ("2", "4")
    assert opts[("aws:autoscaling:trigger", "MeasureName")] == "CPUUtilization"


def test_new_vpc_places_instances_and_load_balancer(plan):
    run = plan("dev", **EB, network="new", environmentType="LoadBalanced")
    opts = options(run)
    subnets = sorted(s.id for s in run.of_type("aws:ec2/subnet:Subnet"))
    assert sorted(opts[("aws:ec2:vpc", "Subnets")].split(",")) == subnets
    assert sorted(opts[("aws:ec2:vpc", "ELBSubnets")].split(",")) == subnets
    assert opts[("aws:ec2:vpc", "VPCId")] == run.one("aws:ec2/vpc:Vpc").id
    assert opts[("aws:ec2:vpc", "AssociatePublicIpAddress")] == "true"
    assert ("aws:ec2:vpc", "VPCId") not in options(plan("tutorial"))  # default VPC: EB picks it


def test_certificate_adds_an_https_listener(plan):
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab"
    run = plan("dev", **EB, environmentType="LoadBalanced", certificateArn=cert)
    opts = options(run)
    assert opts[("aws:elbv2:listener:443", "SSLCertificateArns")] == cert
    assert opts[("aws:elbv2:listener:443", "Protocol")] == "HTTPS"
    assert run.outputs["url"].startswith("https://")


def test_platform_is_resolved_from_the_newest_al2023_docker_stack(plan):
    run = plan("tutorial")
    call = next(a for t, a in run.invokes if t == "aws:elasticbeanstalk/getSolutionStack:getSolutionStack")
    assert call["mostRecent"] is True and call["nameRegex"] == SOLUTION_STACK_REGEX
    env = run.one(ENV)
    assert env.inputs["solutionStackName"] == "64bit Amazon Linux 2023 v4.7.2 running Docker"
    assert env.ignore_changes == ["solutionStackName"]  # managed updates move it; no perpetual diff


def test_a_pinned_platform_is_used_and_tracked(plan):
    pinned = "64bit Amazon Linux 2023 v4.5.0 running Docker"
    run = plan("tutorial", solutionStack=pinned)
    assert run.one(ENV).inputs["solutionStackName"] == pinned
    assert run.one(ENV).ignore_changes == []
    assert not [t for t, _ in run.invokes if t.endswith("getSolutionStack")]


def test_outputs_share_names_with_the_ecs_path(plan):
    outputs = plan("tutorial").outputs
    assert outputs["service_kind"] == "beanstalk"
    assert outputs["url"] == "http://catnip-tutorial.c748c4.us-east-1.elasticbeanstalk.com"
    assert {"image_ref", "region", "health_check_path", "application_name", "environment_name",
            "version_label"} <= set(outputs)
    assert outputs["application_name"] == outputs["environment_name"] == "catnip-tutorial"


def test_bucket_is_private_and_bundles_encrypted(plan):
    run = plan("tutorial")
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
    assert all(o.inputs["serverSideEncryption"] == "AES256" for o in run.of_type(OBJECT))
    assert run.one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is True
    prod = plan("prod", **EB, environmentType="LoadBalanced", minCount=2, maxCount=4, desiredCount=None)
    assert prod.one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is False
    assert prod.one(ENV).protect is True
    assert options(prod)[("aws:elasticbeanstalk:command", "DeploymentPolicy")] == "Immutable"


def test_tutorial_stack_is_docker_hub_on_a_single_instance_and_small(plan):
    run = plan("tutorial")
    assert len(run.custom) <= 12
    image = run.one("docker:index/image:Image").inputs
    assert image["imageName"] == "docker.io/yourusername/catnip:tutorial"
    assert image["build"]["platform"] == "linux/arm64"  # t4g.micro is Graviton


@pytest.mark.parametrize("registry", ["ecr", "dockerhub"])
@pytest.mark.parametrize("service", ["ecs", "beanstalk"])
def test_registry_by_service_matrix(plan, registry, service):
    overrides = {**(EB if service == "beanstalk" else {}), **(HUB if registry == "dockerhub" else {})}
    run = plan("dev", **overrides)
    ref = run.outputs["image_ref"]
    assert "@sha256:" in ref
    assert ref.startswith("docker.io/yourusername/catnip@" if registry == "dockerhub" else
                          f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/catnip-dev@")
    if service == "ecs":
        assert container_definitions(run)[0]["image"] == ref
    else:
        assert dockerrun_of(run)["Image"]["Name"] == ref
    assert run.outputs["service_kind"] == service


def parse_error(**values) -> str:
    with pytest.raises(SettingsError) as info:
        parse({"service": "beanstalk", **values}, stack=values.pop("stack", "dev"), project_dir=ROOT)
    return str(info.value)


@pytest.mark.parametrize(("values", "fragment"), [
    ({"instanceType": "t3.micro"}, "berth:instanceType = 't3.micro' is not allowed: runs linux/amd64 but "
                                   "berth:platform is linux/arm64"),
    ({"instanceType": "t4g.micro", "platform": "linux/amd64"}, "runs linux/arm64 but berth:platform is linux/amd64"),
    ({"instanceType": "micro"}, "berth:instanceType = 'micro' is not allowed: must be an EC2 instance type"),
    ({"deploymentPolicy": "Blue"}, "berth:deploymentPolicy = 'Blue' is not allowed: must be one of AllAtOnce"),
    ({"deploymentPolicy": "Rolling"}, "a SingleInstance environment supports only AllAtOnce or Immutable"),
    ({"deploymentPolicy": "AllAtOnce", "production": True, "environmentType": "LoadBalanced", "minCount": 2,
      "maxCount": 2}, "production stacks must not lose capacity while deploying"),
    ({"environmentType": "Worker"}, "berth:environmentType = 'Worker' is not allowed: must be one of "
                                    "SingleInstance, LoadBalanced"),
    ({"solutionStack": "64bit Amazon Linux 2 v3.6.0 running Docker"}, "berth:solutionStack = '64bit Amazon Linux "
                                                                      "2 v3.6.0 running Docker' is not allowed"),
    ({"maxCount": 3}, "a SingleInstance environment runs exactly one instance"),
    ({"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}, "HTTPS needs a load balancer"),
    ({"cpu": 512}, "berth:cpu = 512 is not allowed: applies to berth:service 'ecs' only"),
    ({"secrets": ["A=arn:aws:ssm:us-east-1:123456789012:parameter/a"]}, "applies to berth:service 'ecs' only"),
])
def test_beanstalk_rules(values, fragment):
    assert fragment in parse_error(**values)


def test_environment_name_rule_comes_from_the_model():
    long_stack = "review-" + "x" * 30
    message = parse_error(stack=long_stack)
    assert f"the Elastic Beanstalk environment name 'catnip-{long_stack}'" in message
    assert "longer than 40 characters" in message and "AWS allows 4-40 characters" in message


def test_ecs_keys_and_beanstalk_keys_stay_apart():
    with pytest.raises(SettingsError, match="berth:environmentType = 'LoadBalanced' is not allowed: applies to "
                                            "berth:service 'beanstalk' only"):
        parse({"environmentType": "LoadBalanced"}, stack="dev", project_dir=ROOT)


@pytest.mark.parametrize(("instance_type", "arch"), [
    ("t4g.micro", "linux/arm64"), ("m7g.large", "linux/arm64"), ("c6gn.xlarge", "linux/arm64"),
    ("r6gd.large", "linux/arm64"), ("a1.medium", "linux/arm64"), ("t3.micro", "linux/amd64"),
    ("t3a.small", "linux/amd64"), ("g5.xlarge", "linux/amd64"), ("g4dn.xlarge", "linux/amd64"),
    ("m7i.large", "linux/amd64"),
])
def test_instance_architecture(instance_type, arch):
    assert instance_architecture(instance_type) == arch


def test_default_instance_type_follows_the_platform():
    amd = parse({"service": "beanstalk", "platform": "linux/amd64"}, stack="dev", project_dir=ROOT).beanstalk
    arm = parse({"service": "beanstalk"}, stack="dev", project_dir=ROOT).beanstalk
    assert (amd.instance_type, arm.instance_type) == ("t3.micro", "t4g.micro")


def test_dockerrun_helper_adds_authentication_only_when_given():
    assert "Authentication" not in dockerrun("r@sha256:x", 5000)
    assert dockerrun("r@sha256:x", 5000, "b", "k")["Authentication"] == {"Bucket": "b", "Key": "k"}


def test_offline_plan_prints_the_dockerrun_content():
    result = subprocess.run([sys.executable, "-m", "tools.plan", "--stack", "tutorial"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'content: {"AWSEBDockerrunVersion": "1", "Image": {"Name": "docker.io/yourusername/catnip@sha256:' \
           in result.stdout
    assert '"Ports": [{"ContainerPort": 5000}]' in result.stdout
    assert "note: berth:dockerHubToken is not set in this stack file" in result.stdout


def test_bad_instance_type_exits_2_from_the_plan(tmp_path: Path):
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text("config:\n  berth:service: beanstalk\n  berth:instanceType: t3.small\n")
    result = subprocess.run([sys.executable, "-m", "tools.plan", "--config", str(stack)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: berth:instanceType = 't3.small' is not allowed: runs linux/amd64")
    assert "Traceback" not in result.stderr
