"""A small federation peer for tests: a WSGI app serving /instance, /changes and /blobs, served on
127.0.0.1 by werkzeug in a thread, with faults that can be switched on per request."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwk import OKPKey
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from federation import keys
from federation.feed import canonical_json, sign_event

ORIGIN = "http://origin.test"
Fault = Callable[["FakePeer", Request], Any]


def event_payload(kind: str = "published", *, origin: str = ORIGIN, sha: str | None = None) -> dict:
    """A valid v1 payload of ``kind``."""
    payload: dict[str, Any] = {
        "v": 1,
        "event_id": uuid.uuid4().hex,
        "kind": kind,
        "origin": origin,
        "occurred_at": "2025-03-01T10:00:00+00:00",
        "authority": {
            "id": "a1",
            "slug": "dresden",
            "name": "Landeshauptstadt Dresden",
            "kind": "municipality",
            "state": "SN",
            "ars": "146120000000",
        },
        "process": None,
        "model": None,
        "revision": None,
    }
    if kind != "authority-updated":
        payload["process"] = _process()
    if kind in ("published", "withdrawn", "superseded"):
        payload["model"] = {"id": "m1", "title": "Wohngeld", "description": None, "upstream": None}
        payload["revision"] = _revision(sha or hashlib.sha256(b"x").hexdigest())
    return payload


def _process() -> dict[str, Any]:
    return {
        "id": "p1",
        "title": "Wohngeld beantragen",
        "description": "Zuschuss zur Miete",
        "leika_keys": ["99107004017000"],
        "ozg_id": None,
        "legal_bases": [{"title": "WoGG", "url": "https://www.gesetze-im-internet.de/wogg/"}],
        "responsible_unit": "Sozialamt",
        "trigger": None,
        "result": None,
        "required_documents": ["Mietvertrag"],
        "fees": None,
        "keywords": ["Miete"],
        "synonyms": [],
    }


def _revision(sha: str) -> dict[str, Any]:
    return {
        "id": "r1",
        "number": 1,
        "sha256": sha,
        "size": 1,
        "filename": "wohngeld.bpmn",
        "media_type": "application/xml",
        "message": "Erste Fassung",
        "author_name": "Erika Mustermann",
        "published_at": "2025-03-01T10:00:00Z",
    }


@dataclass
class FakePeer:
    """State of the fake peer: its key, feed, blobs and a queue of faults for the next requests."""

    private_jwk: dict[str, Any] = field(default_factory=dict)
    public_jwk: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[int, str]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.private_jwk:
            self.private_jwk, self.public_jwk = keys.generate_key()

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def publish(self, payload: dict[str, Any] | None = None, *, jws: str | None = None) -> int:
        """Append an event (signed by this peer unless ``jws`` is given); return its seq."""
        token = jws or sign_event(payload or event_payload("authority-updated"), self.private_jwk)
        seq = (self.events[-1][0] if self.events else 0) + 1
        self.events.append((seq, token))
        return seq

    def add_blob(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.blobs[sha] = data
        return sha

    def fail(self, fault: Fault, times: int = 1) -> None:
        self.faults.extend([fault] * times)

    def page(self, after: int, limit: int) -> dict[str, Any]:
        chosen = [(s, t) for s, t in self.events if s > after][:limit]
        latest = self.events[-1][0] if self.events else 0
        nxt = chosen[-1][0] if chosen else after
        events = [{"seq": s, "jws": t} for s, t in chosen]
        return {"events": events, "next": nxt, "latest": latest, "more": nxt < latest}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        with self.lock:
            self.requests.append(request)
            fault = self.faults.popleft() if self.faults else None
        response = fault(self, request) if fault else None
        if response is None:
            response = self.route(request)
        response.headers["Connection"] = "close"  # so that stopping the server really cuts it off
        return response(environ, start_response)

    def route(self, request: Request) -> Response:
        path = request.path
        if path == "/federation/v1/instance":
            return as_json(self.instance())
        if path == "/federation/v1/changes":
            after = request.args.get("after", 0, type=int)
            return as_json(self.page(after, request.args.get("limit", 100, type=int)))
        if path.startswith("/federation/v1/blobs/"):
            data = self.blobs.get(path.rsplit("/", 1)[1])
            if data is None:
                return Response("not found", status=404)
            return Response(data, content_type="application/octet-stream")
        return Response("not found", status=404)

    def route_page(self, request: Request) -> dict[str, Any]:
        args = request.args
        return self.page(args.get("after", 0, type=int), args.get("limit", 100, type=int))

    def instance(self) -> dict[str, Any]:
        return {
            "name": "Musterregister Sachsen",
            "base_url": ORIGIN,
            "protocol_version": "1",
            "jwks": self.jwks,
            "vouches": [],
        }


def sign_unchecked(payload: Any, private_jwk: dict[str, Any], kid: str | None = None) -> str:
    """A compact EdDSA JWS over any JSON value, without the schema check of ``sign_event``."""
    header = {"alg": "EdDSA", "kid": kid or private_jwk["kid"]}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(canonical_json(payload))}"
    key = OKPKey.import_key(private_jwk).private_key
    return f"{signing_input}.{_b64(key.sign(signing_input.encode()))}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def as_json(doc: Any) -> Response:
    return Response(json.dumps(doc), content_type="application/json")


# Faults: each returns a Response (or None to serve normally, after a side effect).


def status(code: int) -> Fault:
    return lambda peer, request: Response("error", status=code)


def garbage(peer: FakePeer, request: Request) -> Response:
    return Response(b"<html>\x00\xff not json", content_type="application/json")


def truncated_json(peer: FakePeer, request: Request) -> Response:
    body = json.dumps(peer.route_page(request))
    return Response(body[: len(body) // 2], content_type="application/json")


def truncated_transfer(peer: FakePeer, request: Request) -> Response:
    """Announces more bytes than it sends, then closes the connection."""
    body = peer.route(request).get_data()
    response = Response(body[: len(body) // 2], content_type="application/json")
    response.headers["Content-Length"] = str(len(body))
    response.headers["Connection"] = "close"
    return response


def reordered(peer: FakePeer, request: Request) -> Response:
    doc = peer.route_page(request)
    doc["events"].reverse()
    return as_json(doc)


def repeated(peer: FakePeer, request: Request) -> Response:
    doc = peer.route_page(request)
    doc["events"].insert(1, doc["events"][0])
    return as_json(doc)


def ignoring_after(peer: FakePeer, request: Request) -> Response:
    return as_json(peer.page(0, request.args.get("limit", 100, type=int)))


def slow(seconds: float) -> Fault:
    def fault(peer: FakePeer, request: Request) -> None:
        time.sleep(seconds)

    return fault


def dripping(chunks: int, pause: float) -> Fault:
    """A body of ``chunks`` small pieces, each after ``pause`` seconds (chunked encoding)."""

    def body() -> Iterator[bytes]:
        for _ in range(chunks):
            time.sleep(pause)
            yield b" "

    return lambda peer, request: Response(body(), content_type="application/json")


def huge(size: int, *, announce: bool) -> Fault:
    def fault(peer: FakePeer, request: Request) -> Response:
        if announce:
            return Response(b" " * size, content_type="application/json")
        return Response(iter([b" " * 1024] * (size // 1024)), content_type="application/json")

    return fault


def redirect(peer: FakePeer, request: Request) -> Response:
    return Response("", status=302, headers={"Location": "http://evil.test/federation/v1/changes"})


def wrong_blob(peer: FakePeer, request: Request) -> Response:
    return Response(b"not what was asked for", content_type="application/octet-stream")


class Served:
    """A WSGI app served on 127.0.0.1 in a thread; can be stopped and started on the same port."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.port = 0
        self.server: BaseWSGIServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Served:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.port
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
