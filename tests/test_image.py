"""AppImage: build for the runtime's CPU, push to ECR or Docker Hub, deploy by digest."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pulumi
import pytest
from conftest import HUB, container_definitions

from components.image import AppImage, ImageArgs
from tools.mockcloud import ACCOUNT, CloudMocks, Secret, reveal

IMAGE = "docker:index/image:Image"
DIGEST_REF = re.compile(r".+@sha256:[0-9a-f]{64}")


def test_ecr_repository_is_per_stack_scanned_and_expires_old_untagged_images(plan):
    run = plan("dev")
    repo = run.one("aws:ecr/repository:Repository")
    assert repo.inputs["name"] == "catnip-dev"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["forceDelete"] is True  # dev can be destroyed with images inside
    policy = json.loads(run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])
    rule = policy["rules"][0]
    # dev keeps 50 (its stack file): staging and prod run images from this repository.
    assert rule["selection"] == {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 50}
    assert rule["action"] == {"type": "expire"}


def test_two_stacks_never_share_a_repository(plan):
    names = {plan(s, imageFrom=None).one("aws:ecr/repository:Repository").inputs["name"]
             for s in ("dev", "staging", "prod")}
    assert names == {"catnip-dev", "catnip-staging", "catnip-prod"}


def test_production_repository_is_protected_and_not_force_deleted(plan):
    repo = plan("prod", imageFrom=None).one("aws:ecr/repository:Repository")
    assert repo.protect is True and repo.inputs["forceDelete"] is False


def test_ecr_push_uses_bare_registry_host_and_secret_token(plan):
    image = plan("dev").one(IMAGE)
    registry = image.inputs["registry"]
    assert isinstance(registry, Secret)  # the password makes the whole block secret in state
    values = reveal(registry)
    assert values["server"] == f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"  # no "/catnip-dev"
    assert values["username"] == "AWS" and values["password"] == "mock-ecr-password"
    assert image.inputs["imageName"] == f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/catnip-dev:dev"


def test_build_is_explicit_relative_and_never_runs_on_preview(plan):
    image = plan("dev").one(IMAGE)
    assert image.inputs["build"]["context"] == "app"
    assert image.inputs["build"]["dockerfile"] == "app/Dockerfile"
    assert image.inputs["build"]["platform"] == "linux/arm64"
    assert image.inputs["buildOnPreview"] is False
    assert image.inputs["skipPush"] is False


def test_build_platform_equals_runtime_platform(plan):
    for platform, arch in (("linux/amd64", "X86_64"), ("linux/arm64", "ARM64")):
        run = plan("dev", platform=platform)
        assert run.one(IMAGE).inputs["build"]["platform"] == platform
        td = run.one("aws:ecs/taskDefinition:TaskDefinition")
        assert td.inputs["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": arch}


def test_task_definition_runs_the_digest_not_a_tag(plan):
    run = plan("dev")
    image = container_definitions(run)[0]["image"]
    assert DIGEST_REF.fullmatch(image)
    assert image.startswith(f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/catnip-dev@sha256:")
    assert run.outputs["image_ref"] == image


def test_docker_hub_image_name_user_and_secret_token(plan):
    run = plan("dev", **HUB)
    image = run.one(IMAGE)
    assert image.inputs["imageName"] == "docker.io/yourusername/catnip:dev"
    registry = reveal(image.inputs["registry"])
    assert registry == {"server": "docker.io", "username": "yourusername", "password": "dckr_pat_not-a-real-token"}
    assert isinstance(image.inputs["registry"], Secret)
    assert container_definitions(run)[0]["image"].startswith("docker.io/yourusername/catnip@sha256:")
    assert not run.of_type("aws:ecr/repository:Repository")


def test_the_token_never_appears_in_plain_inputs_or_outputs(plan):
    run = plan("dev", **HUB, dockerHubPrivate=True)
    token = "dckr_pat_not-a-real-token"

    def plain_text(value):
        if isinstance(value, Secret):
            return ""
        if isinstance(value, dict):
            return " ".join(plain_text(v) for v in value.values())
        if isinstance(value, list):
            return " ".join(plain_text(v) for v in value)
        return str(value)

    for r in run.resources:
        assert token not in plain_text(r.inputs), r.name
    assert token not in json.dumps(run.outputs)
    # ...but it does reach the registry login and the pull-credentials secret, as secrets.
    assert reveal(run.one(IMAGE).inputs["registry"])["password"] == token
    version = run.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert isinstance(version.inputs["secretString"], Secret)
    assert json.loads(reveal(version.inputs["secretString"])) == {"username": "yourusername", "password": token}


def test_a_code_change_changes_the_digest_and_an_unchanged_tree_does_not(plan, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(Path(__file__).resolve().parents[1], project,
                    ignore=shutil.ignore_patterns("venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache"))
    from tools.runner import read_stack_config, run_program

    def ref() -> str:
        return run_program(read_stack_config("dev", root=project), root=project).outputs["image_ref"]

    first, again = ref(), ref()
    assert first == again
    # A file the .dockerignore excludes does not change the image...
    (project / "app" / "NOTES.md").write_text("not in the image\n")
    assert ref() == first
    # ...a code change does.
    main = project / "app" / "catnip.py"
    main.write_text(main.read_text() + "\n# change\n")
    assert ref() != first


def test_promoted_stacks_deploy_the_digest_their_source_runs(plan):
    dev, staging, prod = plan("dev"), plan("staging"), plan("prod")
    assert staging.outputs["image_ref"] == dev.outputs["image_ref"] == prod.outputs["image_ref"]
    for run in (staging, prod):
        assert not run.of_type(IMAGE) and not run.of_type("aws:ecr/repository:Repository")  # nothing built
        assert container_definitions(run)[0]["image"] == dev.outputs["image_ref"]
    ref = staging.one("pulumi:pulumi:StackReference")
    assert ref.name == "catnip-image-from-dev" and ref.inputs["name"] == "organization/berth/dev"
    assert prod.one("pulumi:pulumi:StackReference").inputs["name"] == "organization/berth/staging"


def test_promotion_refuses_a_tag_or_another_cpu():
    from components.image import check_promoted

    good = "r.example/catnip@sha256:" + "a" * 64
    assert check_promoted(good, "linux/arm64", "linux/arm64", "o/p/dev") == good
    with pytest.raises(ValueError, match=r"exports image_ref 'r\.example/catnip:latest', which is not digest-pinned"):
        check_promoted("r.example/catnip:latest", "linux/arm64", "linux/arm64", "o/p/dev")
    with pytest.raises(ValueError, match=r"built \S+ for linux/amd64, but this stack runs linux/arm64"):
        check_promoted(good, "linux/amd64", "linux/arm64", "o/p/dev")


def test_promoting_from_a_stack_that_never_deployed_fails_clearly(plan):
    with pytest.raises(Exception, match="image_ref"):
        plan("staging", imageFrom="organization/berth/nowhere")


@pytest.mark.parametrize("registry", ["ecr", "dockerhub"])
def test_component_ref_output_is_digest_pinned(registry):
    """The component on its own, awaiting its Outputs (the pattern of pulumi's testing-unit-py)."""
    pulumi.runtime.settings.set_root_resource(None)
    pulumi.runtime.set_mocks(CloudMocks(), project="berth", stack="unit", preview=False)
    args = ImageArgs(registry=registry, platform="linux/arm64", context=Path("app"),
                     dockerfile=Path("app/Dockerfile"), tag="unit", ecr_repository="catnip-unit",
                     docker_hub_repository="yourusername/catnip")
    token = pulumi.Output.secret("t") if registry == "dockerhub" else None

    @pulumi.runtime.test
    def check():
        image = AppImage("unit-image", args, docker_hub_token=token)
        assert image.platform == "linux/arm64"

        def verify(values):
            ref, name = values
            assert DIGEST_REF.fullmatch(ref), ref
            assert ref.split("@")[0] == name.rsplit(":", 1)[0]

        return pulumi.Output.all(image.ref, image.image_name).apply(verify)

    import os

    cwd = os.getcwd()
    os.chdir(Path(__file__).resolve().parents[1])
    try:
        check()
    finally:
        os.chdir(cwd)
