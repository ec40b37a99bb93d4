"""Pulumi.yaml documents exactly the keys the program validates, with the same types and defaults."""

from __future__ import annotations

from pathlib import Path

import yaml

from components import awsmodel
from components.settings import KEYS
from tools.schema import TABLE_END, TABLE_START, render, render_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_pulumi_yaml_is_generated_from_the_schema():
    assert (ROOT / "Pulumi.yaml").read_text() == render(), "run: make schema"


def test_pulumi_yaml_declares_every_key_with_type_description_default():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "berth"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    declared = project["config"]
    assert set(declared) == {f"berth:{k.name}" for k in KEYS}
    for key in KEYS:
        spec = declared[key.full]
        assert spec["type"] == key.type and spec["default"] == key.default and spec["description"]
        if key.type == "array":
            assert spec["items"] == {"type": "string"}


def test_readme_config_table_is_current():
    readme = (ROOT / "README.md").read_text()
    table = readme.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    assert table == render_markdown(), "run: make schema"
    for key in KEYS:
        assert f"`{key.name}`" in table, key.name


def test_readme_dev_diagram_is_current():
    from tools.schema import DIAGRAM_END, DIAGRAM_START, render_diagram

    readme = (ROOT / "README.md").read_text()
    assert readme.split(DIAGRAM_START, 1)[1].split(DIAGRAM_END, 1)[0] == render_diagram(), "run: make schema"


def test_botocore_models_for_the_rules_load():
    # Fails loudly if a botocore upgrade renames a shape these settings depend on.
    assert awsmodel.member_rule("ecr", "CreateRepository", "repositoryName").max == 256
    assert awsmodel.member_rule("elbv2", "CreateTargetGroup", "HealthCheckIntervalSeconds").min == 5
    assert awsmodel.member_rule("elbv2", "CreateTargetGroup", "HealthyThresholdCount").max == 10
