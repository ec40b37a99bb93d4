"""A `moto_server` process (the AWS API emulator of moto[server]) on a free 127.0.0.1 port.

Tests talk to it exactly like a program talks to AWS: boto3 with AWS_ENDPOINT_URL pointing at it,
over HTTP, in another process. `start()` returns once the port accepts connections; `stop()` ends
the process it started (and only that one).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

REGION = "us-east-1"
FAKE_KEY_ID = "testing"
# Distinctive, so a test can assert that the verifier never prints credentials.
FAKE_SECRET = "moto-fake-secret-do-not-print"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MotoServer:
    endpoint: str
    process: subprocess.Popen
    log: Path
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a subprocess that must reach this server and nothing else."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID=FAKE_KEY_ID,
            AWS_SECRET_ACCESS_KEY=FAKE_SECRET,
            # No ~/.aws files of the developer's machine leak into a test.
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            NO_PROXY="127.0.0.1,localhost",
        )
        env.update(extra)
        return env

    def client(self, service: str) -> Any:
        """A boto3 client on this server, made once (loading a service model takes ~0.1 s)."""
        if service not in self._clients:
            session = boto3.session.Session(aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET,
                                            region_name=REGION)
            self._clients[service] = session.client(service, endpoint_url=self.endpoint)
        return self._clients[service]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start(log_dir: Path, env: Mapping[str, str] | None = None, attempts: int = 3) -> MotoServer:
    """Start moto_server; retry on another port if the free one was taken in between."""
    last_error = ""
    for _ in range(attempts):
        port = free_port()
        log = log_dir / f"moto_server-{port}.log"
        # Werkzeug logs every request; a file, not a pipe nobody reads, so the server never blocks.
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
            )
        server = MotoServer(f"http://127.0.0.1:{port}", process, log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return server
            except OSError:
                time.sleep(0.05)
        server.stop()
        last_error = log.read_text()[-2000:]
    raise RuntimeError(f"moto_server did not start after {attempts} attempts:\n{last_error}")
