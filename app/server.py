"""gunicorn as the register's application server (``musterregister serve``)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class RegisterServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app import create_app

        return create_app()


def run_gunicorn(*, host: str, port: int, workers: int, threads: int, timeout: int) -> None:
    RegisterServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "timeout": timeout,
            "graceful_timeout": 30,
            "accesslog": "-",
            "preload_app": False,
        }
    ).run()
