"""The sample app: routes, gunicorn bound to 0.0.0.0:5000, and an image that follows the rules."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
sys.path.insert(0, str(APP))

import catnip  # noqa: E402


@pytest.fixture
def client():
    return catnip.app.test_client()


def test_health_is_ok(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_index_shows_a_cat(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "<svg" in response.get_data(as_text=True) and "Cat of the moment" in response.get_data(as_text=True)


def test_same_seed_same_cat_other_seed_other_cat(client):
    a = client.get("/cat.svg?seed=7").get_data(as_text=True)
    assert a == client.get("/cat.svg?seed=7").get_data(as_text=True)
    assert a != client.get("/cat.svg?seed=8").get_data(as_text=True)
    assert client.get("/cat.svg?seed=7").mimetype == "image/svg+xml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_config_binds_all_interfaces_on_port_5000():
    config: dict = {}
    exec((APP / "gunicorn.conf.py").read_text(), config)
    assert config["bind"] == "0.0.0.0:5000"


def test_gunicorn_serves_health_on_the_configured_port():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "catnip:app"],
                            cwd=APP, env={"PORT": str(port), "WEB_CONCURRENCY": "1", "PATH": "/usr/bin:/bin"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert f"Listening at: http://0.0.0.0:{port}" in err.decode()


def test_dockerfile_follows_the_rules():
    text = (APP / "Dockerfile").read_text()
    assert re.search(r"^FROM python:[\d.]+-slim", text, re.M)
    assert re.search(r"^EXPOSE 5000$", text, re.M)
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1] not in ("root", "0")
    cmd = re.findall(r"^CMD (.+)$", text, re.M)[-1]
    assert cmd.startswith("[") and '"gunicorn"' in cmd  # exec form: SIGTERM reaches gunicorn


def test_dockerignore_keeps_junk_out_of_the_context():
    patterns = (APP / ".dockerignore").read_text().split()
    for needed in (".git", "**/__pycache__", "venv", ".venv", "tests"):
        assert needed in patterns
