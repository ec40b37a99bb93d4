"""Settings validation: one test per rule, each with the bad value and the message it must give.

These run `components.settings.parse` directly, without the Pulumi runtime.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from components.settings import KEYS, Settings, SettingsError, fargate_memory_options, parse

ROOT = Path(__file__).resolve().parents[1]
HUB = {"registry": "dockerhub", "dockerHubRepository": "yourusername/catnip", "dockerHubToken": "t0ken"}


def ok(stack: str = "dev", secret_keys=(), **values) -> Settings:
    return parse(values, stack=stack, project_dir=ROOT, secret_keys=secret_keys)


def error(stack: str = "dev", secret_keys=(), **values) -> str:
    with pytest.raises(SettingsError) as info:
        parse(values, stack=stack, project_dir=ROOT, secret_keys=secret_keys)
    return str(info.value)


def test_defaults_are_valid_and_match_the_documented_defaults():
    s = ok()
    assert s.app.port == 5000
    assert s.image.registry == "ecr" and s.image.ecr_repository == "catnip-dev"
    assert s.image.platform == "linux/arm64" and s.ecs.platform == "linux/arm64"
    assert (s.ecs.cpu, s.ecs.memory, s.ecs.desired_count) == (256, 512, 1)
    assert s.app.health.deregistration_delay == 5 and s.app.health.healthy_threshold == 2
    assert s.app.stop_timeout == 5
    assert s.network.mode == "default" and s.network.nat_gateway is False


def test_values_arrive_as_cli_strings_and_are_typed():
    s = ok(**{"berth:port": "8080", "berth:spot": "true", "berth:environment": '["A=1", "B=two"]'})
    assert s.app.port == 8080 and s.ecs.spot is True
    assert s.app.environment == (("A", "1"), ("B", "two"))


def test_settings_are_frozen():
    s = ok()
    with pytest.raises(AttributeError):
        s.app_name = "other"  # type: ignore[misc]


def test_error_is_a_pulumi_run_error_so_the_cli_prints_no_trace():
    assert issubclass(SettingsError, pulumi.RunError)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"registry": "gcr"}, "berth:registry = 'gcr' is not allowed: must be one of ecr, dockerhub"),
        ({"service": "lambda"}, "berth:service = 'lambda' is not allowed: must be one of ecs, beanstalk"),
        ({"port": "0"}, "berth:port = '0' is not allowed: must be an integer from 1 to 65535"),
        ({"port": 70000}, "berth:port = 70000 is not allowed: must be an integer from 1 to 65535"),
        ({"port": "http"}, "berth:port = 'http' is not allowed: must be an integer from 1 to 65535"),
        ({"platform": "linux/386"}, "berth:platform = 'linux/386' is not allowed: must be one of linux/amd64, "
                                    "linux/arm64"),
        ({"spot": "yes"}, "berth:spot = 'yes' is not allowed: must be true or false"),
        ({"hostPort": 80}, "berth:hostPort = 80 is not allowed: with awsvpc networking the host port must equal "
                           "berth:port (5000)"),
        ({"healthCheckPath": "health"}, "berth:healthCheckPath = 'health' is not allowed: must start with /"),
        ({"healthCheckInterval": 4}, "berth:healthCheckInterval = 4 is not allowed: must be an integer from 5 to "
                                     "300 (elbv2 CreateTargetGroup.HealthCheckIntervalSeconds)"),
        ({"healthCheckInterval": 301}, "must be an integer from 5 to 300"),
        ({"healthyThreshold": 1}, "berth:healthyThreshold = 1 is not allowed: must be an integer from 2 to 10"),
        ({"unhealthyThreshold": 11}, "berth:unhealthyThreshold = 11 is not allowed: must be an integer from 2 to 10"),
        ({"healthCheckTimeout": 1}, "berth:healthCheckTimeout = 1 is not allowed: must be an integer from 2 to 120"),
        ({"healthCheckTimeout": 5, "healthCheckInterval": 5},
         "berth:healthCheckTimeout = 5 is not allowed: must be below berth:healthCheckInterval (5)"),
        ({"deregistrationDelay": 3601}, "berth:deregistrationDelay = 3601 is not allowed: must be an integer from "
                                        "0 to 3600"),
        ({"cpu": 300}, "berth:cpu = 300 is not allowed: Fargate accepts 256, 512, 1024, 2048, 4096, 8192, 16384"),
        ({"cpu": 256, "memory": 4096}, "berth:memory = 4096 is not allowed: with cpu 256 Fargate accepts "
                                       "512-2048 MiB"),
        ({"cpu": 1024, "memory": 1024}, "with cpu 1024 Fargate accepts 2048-8192 MiB: 2048, 3072, 4096, 5120,"),
        ({"cpu": 256, "memory": 1536}, "with cpu 256 Fargate accepts 512-2048 MiB: 512, 1024, 2048"),
        ({"minCount": 3, "maxCount": 2, "desiredCount": 2},
         "berth:minCount = 3 is not allowed: must not exceed berth:maxCount (2)"),
        ({"desiredCount": 5, "maxCount": 3}, "berth:desiredCount = 5 is not allowed: must lie between "
                                             "berth:minCount (1) and berth:maxCount (3)"),
        ({"logRetentionDays": 10}, "berth:logRetentionDays = 10 is not allowed: CloudWatch Logs accepts only 1, "
                                   "3, 5, 7, 14"),
        ({"stopTimeout": 300}, "berth:stopTimeout = 300 is not allowed: must be an integer from 2 to 120"),
        ({"appName": "Cat_Nip"}, "berth:appName = 'Cat_Nip' is not allowed: 2-16 characters of a-z"),
        ({"ecrRepository": "Catnip"}, "berth:ecrRepository = 'Catnip-dev' is not allowed: does not match the "
                                      "pattern"),
        ({"ecrRepository": "team//catnip"}, "berth:ecrRepository = 'team//catnip-dev' is not allowed"),
        ({"ecrRepository": "x" * 260}, "longer than 256 characters"),
        ({"imageTag": "-bad"}, "berth:imageTag = '-bad' is not allowed"),
        ({"network": "custom"}, "berth:network = 'custom' is not allowed: must be one of default, new"),
        ({"natGateway": True}, "berth:natGateway = true is not allowed: needs berth:network = new"),
        ({"vpcCidr": "10.0.0.1/16", "network": "new"}, "berth:vpcCidr = '10.0.0.1/16' is not allowed"),
        ({"vpcCidr": "10.0.0.0/8", "network": "new"}, "the prefix must be /16 to /24"),
        ({"azCount": 1}, "berth:azCount = 1 is not allowed: must be an integer from 2 to 4"),
        ({"ingressCidrs": ["0.0.0.0/0", "nope"]}, "berth:ingressCidrs = 'nope' is not allowed"),
        ({"ingressCidrs": []}, "needs at least one CIDR"),
        ({"certificateArn": "arn:aws:iam::123456789012:server-certificate/x"},
         "must be an ACM certificate ARN"),
        ({"environment": ["NOEQUALS"]}, "each entry must be NAME=value"),
        ({"environment": ["A=1", "A=2"]}, "A is set twice"),
        ({"environment": ["PORT=80"]}, "PORT is set by berth from berth:port"),
        ({"environment": ["DB_PASSWORD=hunter2"]}, "berth:environment = 'DB_PASSWORD' is not allowed: looks like a "
                                                   "secret"),
        ({"secrets": ["DB=not-an-arn"]}, "the value must be a Secrets Manager secret ARN or an SSM parameter ARN"),
        ({"cpuTargetPercent": 95}, "berth:cpuTargetPercent = 95 is not allowed: must be an integer from 10 to 90"),
        ({"ecrKeepUntagged": 0}, "berth:ecrKeepUntagged = 0 is not allowed: must be an integer from 1 to 1000"),
    ],
)
def test_each_rule_names_key_value_and_what_is_allowed(values, fragment):
    assert fragment in error(**values)


def test_fargate_pairs_match_the_documented_table():
    assert fargate_memory_options(256) == [512, 1024, 2048]
    assert fargate_memory_options(512) == [1024, 2048, 3072, 4096]
    assert fargate_memory_options(4096)[-1] == 30720
    assert fargate_memory_options(8192)[:2] == [16384, 20480]
    assert fargate_memory_options(16384)[-1] == 122880
    assert ok(cpu=2048, memory=16384).ecs.memory == 16384


def test_every_problem_is_reported_at_once():
    message = error(port="0", registry="gcr")
    assert message.startswith("2 invalid settings:")
    assert "berth:port" in message and "berth:registry" in message


def test_unknown_key_gets_a_did_you_mean():
    assert "berth:desiredCout is not a berth setting; did you mean berth:desiredCount?" in error(desiredCout=2)


def test_other_namespaces_are_ignored():
    assert ok(**{"aws:region": "eu-west-1"}).app_name == "catnip"


def test_stack_name_must_fit_resource_names():
    assert "stack name 'Dev_1' is not allowed" in error(stack="Dev_1")


def test_build_context_must_exist_and_error_names_the_absolute_path():
    message = error(appPath="nowhere")
    assert f"the build context {ROOT / 'nowhere'} does not exist" in message
    message = error(dockerfile="Dockerfile.missing")
    assert f"no Dockerfile at {ROOT / 'app' / 'Dockerfile.missing'}" in message


def test_build_context_must_stay_inside_the_project():
    assert "must be a path inside the project" in error(appPath="../elsewhere")


def test_paths_are_kept_relative_so_state_is_machine_independent():
    s = ok()
    assert str(s.image.context) == "app" and str(s.image.dockerfile) == "app/Dockerfile"


def test_ecr_repository_is_per_stack():
    assert ok(stack="prod").image.ecr_repository == "catnip-prod"
    assert ok(ecrRepository="team/web").image.ecr_repository == "team/web-dev"


def test_docker_hub_needs_a_namespace():
    message = error(**{**HUB, "dockerHubRepository": "catnip"}, secret_keys=["dockerHubToken"])
    assert "berth:dockerHubRepository = 'catnip' is not allowed: needs a namespace" in message


@pytest.mark.parametrize("repo", ["YourUser/catnip", "abc/catnip", "yourusername/Catnip", "yourusername/c"])
def test_docker_hub_names_are_lowercase_and_sized(repo):
    assert "berth:dockerHubRepository" in error(**{**HUB, "dockerHubRepository": repo},
                                                 secret_keys=["dockerHubToken"])


def test_docker_hub_token_is_required():
    message = error(registry="dockerhub", dockerHubRepository="yourusername/catnip")
    assert "berth:dockerHubToken is required when berth:registry is dockerhub" in message
    assert "pulumi config set --secret berth:dockerHubToken" in message


def test_plaintext_docker_hub_token_is_refused():
    message = error(**HUB)  # not in secret_keys: it sits in the stack file in plain text
    assert "berth:dockerHubToken is stored in plain text" in message


def test_secret_docker_hub_token_is_accepted():
    s = ok(**HUB, secret_keys=["berth:dockerHubToken"])
    assert s.image.docker_hub_repository == "yourusername/catnip"
    assert s.image.docker_hub_username == "yourusername"
    assert s.docker_hub_token is None  # only load() turns it into a secret Output


def test_keys_of_the_other_service_are_refused():
    message = error(service="beanstalk", cpu=512)
    assert "berth:cpu = 512 is not allowed: applies to berth:service 'ecs' only" in message


def test_defaults_filled_in_by_the_cli_do_not_count_as_set():
    # The CLI passes every declared key; a default must not trip the other-service check.
    from components.settings import _same_as_default

    assert _same_as_default(KEYS[[k.name for k in KEYS].index("cpu")], "256")
    assert _same_as_default(KEYS[[k.name for k in KEYS].index("secrets")], "[]")


def test_secrets_and_environment_are_sorted_for_stable_diffs():
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    s = ok(environment=["Z=1", "A=2"], secrets=[f"DB_URL={arn}", f"API_KEY={arn}:key::"])
    assert [n for n, _ in s.app.environment] == ["A", "Z"]
    assert [n for n, _ in s.app.secrets] == ["API_KEY", "DB_URL"]
    assert s.app.environment_with_port[1] == ("PORT", "5000")


def test_a_name_in_both_environment_and_secrets_is_refused():
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/app/url"
    assert "also set in berth:environment" in error(environment=["URL=x"], secrets=[f"URL={arn}"])


def test_image_from_names_another_stack():
    assert ok(stack="prod", imageFrom="staging").image.promote_from == "staging"
    assert ok(stack="prod", imageFrom="acme/berth/staging").image.promote_from == "acme/berth/staging"
    assert "berth:imageFrom = 'prod' is not allowed: names this stack itself" in error(stack="prod", imageFrom="prod")
    assert "must name a stack: dev, or organization/project/stack" in error(imageFrom="a/b/c/d")


def test_production_turns_off_force_delete():
    s = ok(stack="prod", production=True)
    assert s.image.ecr_force_delete is False and s.image.protect is True and s.ecs.production is True
