"""AppImage: build the app's Docker image for the service's CPU architecture and push it to
Amazon ECR (a repository per stack) or Docker Hub. Services deploy `ref`, the digest-pinned
reference, so an unchanged image never causes a rollout and a changed one always does.

Previews never build or push (`build_on_preview=False`): `pulumi preview` stays fast, needs no
Docker daemon, and has no side effects. When the build context changed, the preview shows the
image as updated and the task definition's image as computed; `pulumi up` builds, pushes and
then rolls out the new digest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

Registry = Literal["ecr", "dockerhub"]
DOCKER_HUB_SERVER = "docker.io"


@dataclass(frozen=True)
class ImageArgs:
    registry: Registry
    platform: str  # "linux/amd64" | "linux/arm64": the build target, equal to the runtime CPU
    # Paths relative to the project root (the directory of Pulumi.yaml, where `pulumi` runs), so
    # the recorded inputs are the same on every machine and never show a spurious diff.
    context: PurePosixPath
    dockerfile: PurePosixPath
    tag: str
    ecr_repository: str | None = None  # full repository name, already unique per stack
    ecr_keep_untagged: int = 10  # untagged images kept for rollbacks; older ones expire
    ecr_force_delete: bool = True  # let `pulumi destroy` remove a repository that holds images
    protect: bool = False
    docker_hub_repository: str | None = None  # "namespace/name"
    docker_hub_username: str | None = None
    docker_hub_private: bool = False
    promote_from: str | None = None  # deploy what this stack runs instead of building
    tags: Mapping[str, str] = field(default_factory=dict)


DIGEST_REF = re.compile(r"[^@\s]+@sha256:[0-9a-f]{64}")


def check_promoted(ref: object, source_platform: object, platform: str, source: str) -> str:
    """The promoted reference must be digest-pinned and built for this stack's CPU."""
    if not isinstance(ref, str) or not DIGEST_REF.fullmatch(ref):
        raise ValueError(f"berth:imageFrom: stack {source} exports image_ref {ref!r}, which is not digest-pinned "
                         "(repository@sha256:<64 hex>); deploy that stack with berth first")
    if source_platform not in (None, platform):
        raise ValueError(f"berth:imageFrom: stack {source} built {ref} for {source_platform}, but this stack runs "
                         f"{platform}; promote between stacks with the same berth:platform")
    return ref


@dataclass(frozen=True)
class PullCredentials:
    """Credentials a runtime needs to pull a private Docker Hub image (the password is secret)."""

    username: str
    password: pulumi.Output[str]


class AppImage(pulumi.ComponentResource):
    ref: pulumi.Output[str]
    image_name: pulumi.Output[str]
    registry_server: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    platform: str
    pull_credentials: PullCredentials | None

    def __init__(
        self,
        name: str,
        args: ImageArgs,
        docker_hub_token: pulumi.Output[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("berth:index:AppImage", name, None, opts)
        self.platform = args.platform
        self.pull_credentials = None
        child = pulumi.ResourceOptions(parent=self)

        if args.promote_from:
            self._promote(name, args, docker_hub_token)
            return

        if args.registry == "ecr":
            if not args.ecr_repository:
                raise ValueError("ImageArgs.ecr_repository is required when registry is 'ecr'")
            repo = aws.ecr.Repository(
                f"{name}-repo",
                name=args.ecr_repository,
                image_scanning_configuration={"scan_on_push": True},
                # Tags move (the stack tag points at the newest build); deploys use digests.
                image_tag_mutability="MUTABLE",
                encryption_configurations=[{"encryption_type": "AES256"}],
                force_delete=args.ecr_force_delete,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-lifecycle",
                repository=repo.name,
                policy=pulumi.Output.json_dumps(
                    {
                        "rules": [
                            {
                                "rulePriority": 1,
                                "description": f"keep the {args.ecr_keep_untagged} newest untagged images",
                                "selection": {
                                    "tagStatus": "untagged",
                                    "countType": "imageCountMoreThan",
                                    "countNumber": args.ecr_keep_untagged,
                                },
                                "action": {"type": "expire"},
                            }
                        ]
                    }
                ),
                opts=child,
            )
            token = aws.ecr.get_authorization_token_output(
                registry_id=repo.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.repository_url = repo.repository_url
            # `docker login` wants the bare registry host, not the repository URL.
            server = repo.repository_url.apply(lambda url: url.split("/", 1)[0])
            image_name = pulumi.Output.concat(repo.repository_url, ":", args.tag)
            registry = docker.RegistryArgs(
                server=server,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            )
        else:
            if not args.docker_hub_repository or docker_hub_token is None:
                raise ValueError("a Docker Hub repository and token are required when registry is 'dockerhub'")
            self.repository_url = pulumi.Output.from_input(
                f"{DOCKER_HUB_SERVER}/{args.docker_hub_repository}"
            )
            server = pulumi.Output.from_input(DOCKER_HUB_SERVER)
            image_name = pulumi.Output.from_input(
                f"{DOCKER_HUB_SERVER}/{args.docker_hub_repository}:{args.tag}"
            )
            password = pulumi.Output.secret(docker_hub_token)
            username = args.docker_hub_username or args.docker_hub_repository.split("/", 1)[0]
            registry = docker.RegistryArgs(server=server, username=username, password=password)
            if args.docker_hub_private:
                self.pull_credentials = PullCredentials(username=username, password=password)

        image = docker.Image(
            f"{name}-build",
            image_name=image_name,
            build=docker.DockerBuildArgs(
                context=str(args.context),
                dockerfile=str(args.dockerfile),
                platform=args.platform,
                builder_version=docker.BuilderVersion.BUILDER_BUILD_KIT,
            ),
            registry=registry,
            build_on_preview=False,
            skip_push=False,
            opts=child,
        )

        self.image_name = image.image_name
        self.registry_server = server
        # repoDigest is "<repository>@sha256:<hex>": immutable, unique per pushed build.
        self.ref = image.repo_digest
        self._register()

    def _promote(self, name: str, args: ImageArgs, docker_hub_token: pulumi.Output[str] | None) -> None:
        """Build once, promote the same digest: read the image another stack runs."""
        source = args.promote_from or ""
        if "/" not in source:
            source = f"{pulumi.get_organization()}/{pulumi.get_project()}/{source}"
        slug = re.sub(r"[^A-Za-z0-9-]", "-", args.promote_from or "")
        ref_stack = pulumi.StackReference(f"{name}-from-{slug}", stack_name=source,
                                          opts=pulumi.ResourceOptions(parent=self))
        self.ref = pulumi.Output.all(ref_stack.require_output("image_ref"), ref_stack.get_output("platform")).apply(
            lambda v: check_promoted(v[0], v[1], args.platform, source)
        )
        self.image_name = self.ref
        self.repository_url = self.ref.apply(lambda ref: ref.split("@", 1)[0])
        self.registry_server = self.repository_url.apply(lambda url: url.split("/", 1)[0])
        if args.registry == "dockerhub" and args.docker_hub_private and docker_hub_token is not None:
            username = args.docker_hub_username or (args.docker_hub_repository or "").split("/", 1)[0]
            self.pull_credentials = PullCredentials(username=username, password=pulumi.Output.secret(docker_hub_token))
        self._register()

    def _register(self) -> None:
        self.register_outputs(
            {
                "ref": self.ref,
                "imageName": self.image_name,
                "registryServer": self.registry_server,
                "repositoryUrl": self.repository_url,
                "platform": self.platform,
            }
        )
