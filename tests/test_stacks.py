"""Stack-per-environment hygiene: every committed Pulumi.<stack>.yaml only sets declared keys, never
holds a secret in plain text, and plans."""

from __future__ import annotations

import re

import pytest
import yaml

from components.settings import KEYS, KEYS_BY_NAME, SettingsError, parse
from tools.runner import ROOT, committed_stacks, read_stack_config

STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))
SECRET_NAME = re.compile(r"password|passwd|token|secret|apikey|api_key|private_key", re.I)


def stack_config(path) -> dict:
    data = yaml.safe_load(path.read_text()) or {}
    assert set(data) <= {"config", "secretsprovider", "encryptedkey", "encryptionsalt"}, path.name
    return data.get("config") or {}


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_key_is_declared_in_the_project(path):
    declared = set(yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"])
    for key in stack_config(path):
        namespace = key.split(":", 1)[0] if ":" in key else "berth"
        assert namespace in ("berth", "aws"), f"{path.name}: {key} is in no known namespace"
        if namespace == "berth":
            assert key in declared, f"{path.name}: {key} is not declared in Pulumi.yaml"


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_no_secret_in_plain_text(path):
    for key, value in stack_config(path).items():
        name = key.split(":", 1)[-1]
        secret = KEYS_BY_NAME[name].secret if name in KEYS_BY_NAME else bool(SECRET_NAME.search(name))
        if secret:
            assert isinstance(value, dict) and set(value) == {"secure"}, f"{path.name}: {key} is in plain text"


@pytest.mark.parametrize("stack", committed_stacks())
def test_every_stack_file_validates(stack):
    config = read_stack_config(stack)
    parse(config.values, stack=stack, project_dir=ROOT, secret_keys=config.secret_keys)


def test_a_typo_in_a_stack_file_gets_a_did_you_mean(tmp_path):
    path = tmp_path / "Pulumi.review.yaml"
    path.write_text("config:\n  berth:desiredCont: 2\n  berth:helthCheckPath: /ready\n")
    config = read_stack_config("review", path)
    with pytest.raises(SettingsError) as info:
        parse(config.values, stack="review", project_dir=ROOT, secret_keys=config.secret_keys)
    assert "berth:desiredCont is not a berth setting; did you mean berth:desiredCount?" in str(info.value)
    assert "berth:helthCheckPath is not a berth setting; did you mean berth:healthCheckPath?" in str(info.value)


def test_a_plaintext_token_in_a_stack_file_is_refused(tmp_path):
    path = tmp_path / "Pulumi.review.yaml"
    path.write_text("config:\n  berth:registry: dockerhub\n  berth:dockerHubRepository: me/catnip\n"
                    "  berth:dockerHubToken: dckr_pat_plain\n")
    config = read_stack_config("review", path)
    with pytest.raises(SettingsError, match="berth:dockerHubToken is stored in plain text"):
        parse(config.values, stack="review", project_dir=ROOT, secret_keys=config.secret_keys)


def test_the_secret_keys_are_known():
    assert [k.name for k in KEYS if k.secret] == ["dockerHubToken"]


@pytest.mark.parametrize(("text", "message"), [
    ("config:\n  berth:port: 1\n  berth:port: 2\n", "berth:port set more than once"),
    ("confg:\n  berth:port: 1\n", "unknown top-level key(s) confg"),
    ("config: [oops\n", "is not valid YAML"),
])
def test_stack_file_mistakes_pulumi_would_refuse_are_refused(tmp_path, text, message):
    path = tmp_path / "Pulumi.review.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(message)):
        read_stack_config("review", path)


def test_yes_is_a_string_as_for_the_pulumi_cli(tmp_path):
    """YAML 1.2 (Pulumi's reading): `yes` is not a boolean, so berth refuses it like `pulumi up` would."""
    path = tmp_path / "Pulumi.review.yaml"
    path.write_text("config:\n  berth:spot: yes\n  berth:natGateway: false\n")
    config = read_stack_config("review", path)
    assert config.values["berth:spot"] == "yes" and config.values["berth:natGateway"] == "false"
    with pytest.raises(SettingsError, match="berth:spot = 'yes' is not allowed: must be true or false"):
        parse(config.values, stack="review", project_dir=ROOT, secret_keys=config.secret_keys)


def test_the_tutorial_placeholder_namespace_is_pointed_out():
    assert any("still the placeholder yourusername/catnip" in n for n in read_stack_config("tutorial").notes)
