"""A real register process (gunicorn via ``musterregister serve``) for browser tests and benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]


class RegisterProcess:
    def __init__(
        self,
        database_url: str,
        instance_path: Path,
        *,
        workers: int = 1,
        threads: int = 4,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = instance_path / "server.log"
        self.environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MUSTERREGISTER_")},
            "MUSTERREGISTER_DATABASE_URL": database_url,
            "MUSTERREGISTER_INSTANCE_PATH": str(instance_path),
            "MUSTERREGISTER_SECRET_KEY": "browser-test-secret-key-long-enough-for-production",
            "MUSTERREGISTER_BASE_URL": self.url,
            **(environ or {}),
        }
        self.workers, self.threads = workers, threads
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> str:
        command = [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)]
        command += ["--workers", str(self.workers), "--threads", str(self.threads)]
        with self.log_path.open("ab") as log:  # a restart appends
            self._process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() takes the workers too
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Server beendet:\n{self.log_path.read_text()}")
            try:
                if requests.get(f"{self.url}/api/v1/openapi.json", timeout=1).ok:
                    return self.url
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or still busy
                time.sleep(0.2)
        raise RuntimeError(f"Server antwortet nicht:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def kill(self) -> None:
        """End the server at once (SIGKILL to master and workers), as a crash would. ``start()``
        brings it back on the same port, so peers that pinned its URL reach it again."""
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None
