"""Run the real Pulumi program (`__main__.py`) under Pulumi's mock runtime.

No Pulumi CLI, Docker daemon or AWS account is involved: `set_mocks` replaces the engine with
`tools.mockcloud`, the stack's configuration is read the way the CLI reads it (project defaults
from Pulumi.yaml, then Pulumi.<stack>.yaml, with `secure:` values replaced by secret
placeholders), and the program runs exactly as `pulumi up` would run it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import runpy
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tools.mockcloud import CloudMocks, Recorded, RecordingMonitor, Secret

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "berth"


@dataclass
class StackConfig:
    stack: str
    values: dict[str, str]  # full key -> value as the CLI passes it (strings; lists/objects as JSON)
    secret_keys: list[str]
    source: Path | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ProgramRun:
    stack: str
    config: StackConfig
    resources: list[Recorded]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    invokes: list[tuple[str, dict]]
    outputs_registered: set[str]
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    stack_urn: str = ""

    @property
    def custom(self) -> list[Recorded]:
        return [r for r in self.resources if r.custom]

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str) -> Recorded:
        found = self.of_type(typ)
        if len(found) != 1:
            raise AssertionError(f"expected one {typ}, found {len(found)}")
        return found[0]


def _as_cli_string(value: Any) -> str:
    """Config values reach a program as strings; lists and objects as JSON, like the CLI does."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


class StackFileLoader(yaml.SafeLoader):
    """Reads stack files the way the Pulumi CLI does (YAML 1.2): `yes`/`no`/`on`/`off` stay strings,
    and a key given twice is an error instead of silently keeping the last value."""


StackFileLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StackFileLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _mapping(loader: StackFileLoader, node: yaml.MappingNode) -> dict:
    keys = [loader.construct_object(k) for k, _ in node.value]
    duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"{', '.join(duplicates)} set more than once (line {node.start_mark.line + 1})")
    return loader.construct_mapping(node)


StackFileLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
STACK_FILE_KEYS = {"config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"}


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=StackFileLoader)  # a SafeLoader subclass: no code runs


def project_defaults(project_file: Path = ROOT / "Pulumi.yaml") -> dict[str, Any]:
    project = load_yaml(project_file)
    defaults: dict[str, Any] = {}
    for key, spec in (project.get("config") or {}).items():
        full = key if ":" in key else f"{project['name']}:{key}"
        if isinstance(spec, dict) and "default" in spec:
            defaults[full] = spec["default"]
        elif isinstance(spec, dict) and "value" in spec:
            defaults[full] = spec["value"]
        elif not isinstance(spec, dict):
            defaults[full] = spec
    return defaults


def stack_file(stack: str, root: Path = ROOT) -> Path:
    return root / f"Pulumi.{stack}.yaml"


def read_stack_config(stack: str, path: Path | None = None, root: Path = ROOT) -> StackConfig:
    """Project defaults overlaid with the stack file's values (the CLI's merge)."""
    path = path or stack_file(stack, root)
    if not path.is_file():
        raise FileNotFoundError(f"no stack file at {path}")
    try:
        data = load_yaml(path) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}"
                         + (f" (line {exc.problem_mark.line + 1})" if getattr(exc, "problem_mark", None) else "")
                         ) from exc
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a Pulumi stack file (expected a mapping with a 'config' key)")
    unknown = sorted(set(data) - STACK_FILE_KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown top-level key(s) {', '.join(map(str, unknown))}; a stack file holds "
                         + ", ".join(sorted(STACK_FILE_KEYS)))
    values = {k: _as_cli_string(v) for k, v in project_defaults(root / "Pulumi.yaml").items()}
    secret_keys: list[str] = []
    for key, value in (data.get("config") or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            # The ciphertext cannot be decrypted here; the program sees a secret placeholder.
            values[full] = f"offline-placeholder-for-{full.split(':', 1)[1]}"
            secret_keys.append(full)
        else:
            values[full] = _as_cli_string(value)
    config = StackConfig(stack=stack, values=values, secret_keys=secret_keys, source=path)
    fill_missing_secrets(config)
    if str(values.get(f"{PROJECT}:dockerHubRepository", "")).startswith("yourusername/"):
        config.notes.append(f"{PROJECT}:dockerHubRepository is still the placeholder "
                            f"{values[f'{PROJECT}:dockerHubRepository']}; set your Docker Hub namespace: "
                            f"pulumi config set {PROJECT}:dockerHubRepository <you>/catnip -s {stack}")
    return config


def fill_missing_secrets(config: StackConfig) -> None:
    """Secrets are often set only where `pulumi up` runs; plan with placeholders and say so."""
    from components.settings import required_secrets

    for key in required_secrets(config.values):
        if key not in config.values or (key not in config.secret_keys and not config.values[key]):
            config.values[key] = f"offline-placeholder-for-{key.split(':', 1)[1]}"
            config.secret_keys.append(key)
            config.notes.append(f"{key} is not set in this stack file; planned with a placeholder secret. "
                                f"Before `pulumi up`: pulumi config set --secret {key} -s {config.stack}")


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


async def _resolve(outputs: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    values: dict[str, Any] = {}
    secret: set[str] = set()
    for name, value in outputs.items():
        out = pulumi.Output.from_input(value)
        values[name] = await out.future()
        if await out.is_secret():
            secret.add(name)
    return values, secret


def run_program(
    config: StackConfig,
    root: Path = ROOT,
    program: Path | None = None,
) -> ProgramRun:
    """Run the program once for `config.stack`; raise whatever the program raises."""
    program = program or root / "__main__.py"
    mocks = CloudMocks()
    monitor = RecordingMonitor(mocks)
    # A fresh root stack resource and fresh engine state for every run.
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=config.stack, preview=False, monitor=monitor,
                             organization="organization")  # what a DIY backend reports
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    with _working_directory(root):
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(program), run_name="__main__")))
        stack = runtime_settings.get_root_resource()
        values, secret = _sync_await(_resolve(stack.outputs))  # type: ignore[union-attr]
    return ProgramRun(
        stack=config.stack,
        config=config,
        resources=monitor.recorded,
        outputs=values,
        secret_outputs=secret,
        invokes=mocks.invokes,
        outputs_registered=monitor.outputs_registered,
        component_outputs=monitor.component_outputs,
        stack_urn=f"urn:pulumi:{config.stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{config.stack}",
    )


def run_stack(stack: str, overrides: Mapping[str, Any] | None = None, path: Path | None = None,
              root: Path = ROOT) -> ProgramRun:
    """Plan a committed stack (or a stack file at `path`), optionally overriding some values.

    Overrides use the stack file's syntax: {"berth:port": 8080} or {"berth:token": {"secure": "…"}}.
    """
    config = read_stack_config(stack, path, root)
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.values.pop(full, None)
        elif isinstance(value, dict) and set(value) == {"secure"}:
            config.values[full] = str(value["secure"])
            config.secret_keys.append(full)
        else:
            config.values[full] = _as_cli_string(value)
    fill_missing_secrets(config)
    return run_program(config, root)


def committed_stacks(root: Path = ROOT) -> list[str]:
    names = (p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
    return sorted(n for n in names if not n.startswith("it-"))  # it-*: integration-test leftovers


__all__ = ["ProgramRun", "Secret", "StackConfig", "committed_stacks", "read_stack_config", "run_program",
           "run_stack"]
