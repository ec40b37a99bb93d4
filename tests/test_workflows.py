"""The GitHub Actions workflows: valid against GitHub's workflow schema, least privilege, pinned
actions, and a preview matrix that lists exactly the committed stacks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.runner import ROOT, committed_stacks

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def load(path: Path) -> dict:
    # YAML 1.1 reads the key `on` as True; keep GitHub's meaning.
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_every_workflow_matches_githubs_schema():
    result = subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows",
                             *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(WORKFLOWS) >= 4


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    result = subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0


def test_preview_matrices_list_exactly_the_committed_stacks():
    preview = load(ROOT / ".github/workflows/preview.yml")
    for job in ("offline", "pulumi"):
        assert sorted(preview["jobs"][job]["strategy"]["matrix"]["stack"]) == committed_stacks()
    dispatch = load(ROOT / ".github/workflows/deploy.yml")["on"]["workflow_dispatch"]["inputs"]["stack"]
    assert sorted(dispatch["options"]) == committed_stacks()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_pinned_actions(path):
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}  # every job asks for more explicitly
    for line in path.read_text().splitlines():
        used = re.search(r"uses:\s*(\S+)", line)
        if used and not used.group(1).startswith("./"):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})", used.group(1)), used.group(1)


def test_cloud_jobs_use_oidc_not_long_lived_keys():
    text = "".join(p.read_text() for p in WORKFLOWS)
    assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-access-key-id" not in text
    for name in ("preview.yml", "deploy-stack.yml"):
        workflow = load(ROOT / ".github/workflows" / name)
        job = workflow["jobs"]["pulumi" if name == "preview.yml" else "up"]
        assert job["permissions"]["id-token"] == "write"
        assert any("configure-aws-credentials" in step.get("uses", "") for step in job["steps"])


def test_pull_request_preview_refreshes_applies_the_policy_pack_and_edits_its_comment():
    job = load(ROOT / ".github/workflows/preview.yml")["jobs"]["pulumi"]
    step = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert step["with"]["command"] == "preview"
    assert step["with"]["refresh"] is True and step["with"]["policyPacks"] == "policy"
    assert step["with"]["comment-on-pr"] is True and step["with"]["edit-pr-comment"] is True
    assert step["with"]["always-include-summary"] is True
    assert "head.repo.full_name == github.repository" in job["if"]  # never on forks


def test_deploys_never_overlap_and_wait_for_approval():
    deploy = load(ROOT / ".github/workflows/deploy.yml")
    assert deploy["jobs"]["staging"]["needs"] == "dev" and deploy["jobs"]["prod"]["needs"] == "staging"
    up = load(ROOT / ".github/workflows/deploy-stack.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"  # GitHub environments carry the reviewers
    assert up["concurrency"] == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    assert any("tools.verify" in step.get("run", "") for step in up["steps"])


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci/run").read_text()
    steps = load(ROOT / ".github/workflows/test.yml")["jobs"]["test"]["steps"]
    assert any(step.get("run") == "make test" for step in steps)
