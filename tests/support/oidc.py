"""Real OpenID providers for the login tests: scripts/oidc-provider.mjs (npm oidc-provider) processes.

Each provider runs behind a small HTTP proxy that is its public address (its issuer). By default
the proxy passes everything through; a test can make it forge the token response — re-signed with
the provider's own key (the test generated it) or with a foreign one — to prove each refusal.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_SCRIPT = ROOT / "scripts" / "oidc-provider.mjs"
TokenTamper = Callable[[dict[str, Any], "OidcProvider"], dict[str, Any]]


def signing_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(
        2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True
    )


HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}


class _Proxy(BaseHTTPRequestHandler):
    provider: OidcProvider
    protocol_version = "HTTP/1.1"  # keep-alive, as clients of a real provider expect

    def log_message(self, *_args: Any) -> None:  # keep test output quiet
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            k: v for k, v in self.headers.items() if k.lower() != "content-length"
        }  # Host stays: the provider builds its URLs from it
        try:
            upstream = requests.request(
                self.command,
                f"{self.provider.upstream}{self.path}",
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=10,
            )
        except requests.ConnectionError:  # the provider process is not up (yet)
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        content = self.provider.tamper_response(self.path, upstream)
        self.send_response(upstream.status_code)
        for name, value in upstream.raw.headers.items():  # raw: each Set-Cookie header on its own
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = _forward


class OidcProvider:
    """One provider process with its proxy; ``issuer`` is the proxy's address."""

    def __init__(
        self,
        workdir: Path,
        name: str,
        clients: list[dict[str, Any]],
        accounts: list[dict[str, Any]],
    ):
        self.name = name
        self.port, self.upstream_port = free_port(), free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.upstream = f"http://127.0.0.1:{self.upstream_port}"
        self.key = signing_key(f"{name}-key")
        self.tamper: TokenTamper | None = None
        self._config_path = workdir / f"{name}.json"
        self._config_path.write_text(
            json.dumps(
                {
                    "issuer": self.issuer,
                    "port": self.upstream_port,
                    "title": f"Anmeldedienst {name}",
                    "clients": clients,
                    "accounts": accounts,
                    "jwks": {"keys": [self.key.as_dict(private=True)]},
                }
            ),
            encoding="utf-8",
        )
        self._log_path = workdir / f"{name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> OidcProvider:
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                ["node", str(PROVIDER_SCRIPT), str(self._config_path)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        handler = type("Proxy", (_Proxy,), {"provider": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._wait_until_ready()
        return self

    def _wait_until_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process and self._process.poll() is not None:
                raise RuntimeError(
                    f"Anmeldedienst {self.name} beendet:\n{self._log_path.read_text()}"
                )
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError(
            f"Anmeldedienst {self.name} antwortet nicht:\n{self._log_path.read_text()}"
        )

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._process:
            self._process.terminate()
            self._process.wait(timeout=10)

    # --- forging ------------------------------------------------------------------------------

    def tamper_response(self, path: str, upstream: requests.Response) -> bytes:
        if self.tamper is None or not path.startswith("/token") or upstream.status_code != 200:
            return upstream.content
        return json.dumps(self.tamper(upstream.json(), self)).encode("utf-8")

    def resign(
        self,
        token: dict[str, Any],
        change: Callable[[dict[str, Any]], None],
        key: RSAKey | None = None,
    ) -> dict[str, Any]:
        """The token response with its ID token's claims changed and signed again."""
        key = key or self.key
        claims = jwt.decode(token["id_token"], self.key).claims
        change(claims)
        header = {"alg": "RS256", "kid": key.kid}
        return {**token, "id_token": jwt.encode(header, claims, key)}
