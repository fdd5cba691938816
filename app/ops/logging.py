"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

The request id comes from the reverse proxy (``X-Request-ID``, e.g. nginx's ``$request_id``) when
it is a sane token, else the register makes one; it is returned in the response and written into
every log line of the request, the gunicorn access line included, so one id finds everything a
request did across proxy, server and application logs.

Nothing secret is logged: no request headers at all (so no ``Authorization`` and no cookies), the
query string only with the values of credential parameters (``code``, ``token``, …) removed, and
log fields named like credentials are dropped from every record.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON = "musterregister.request_id"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
SENSITIVE_NAMES = frozenset(
    {
        "access_token",
        "api_key",
        "authorization",
        "client_secret",
        "code",
        "cookie",
        "csrf_token",
        "id_token",
        "password",
        "refresh_token",
        "secret",
        "session",
        "set-cookie",
        "state",
        "token",
    }
)
REMOVED = "[entfernt]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request)s] %(message)s"


# --- request id ----------------------------------------------------------------------------------


def request_id_of(environ: dict[str, Any]) -> str:
    """The request's id: the proxy's when sane, else a new one (kept in the WSGI environ)."""
    if REQUEST_ID_ENVIRON not in environ:
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        sane = SANE_REQUEST_ID.fullmatch(offered) is not None
        environ[REQUEST_ID_ENVIRON] = offered if sane else uuid.uuid4().hex
    return environ[REQUEST_ID_ENVIRON]


def current_request_id() -> str | None:
    return request_id_of(request.environ) if has_request_context() else None


def _return_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id_of(request.environ)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_return_request_id)


# --- formatting ----------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record logged while a request is being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


class RegisterJsonFormatter(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            json_ensure_ascii=False,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        for key in [key for key in log_data if key.lower() in SENSITIVE_NAMES]:
            del log_data[key]
        if log_data.get("request_id") is None:
            log_data.pop("request_id", None)
        return log_data


class RegisterTextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.request = getattr(record, "request_id", None) or "-"
        return super().format(record)


def make_formatter(log_format: str) -> logging.Formatter:
    return RegisterJsonFormatter() if log_format == "json" else RegisterTextFormatter()


def make_handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(log_format: str, level: str) -> None:
    """The process's root logger writes ``log_format`` lines to stderr (journald, container log)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_musterregister", False):
            root.removeHandler(handler)
    handler = make_handler(log_format)
    handler._musterregister = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


# --- access log ----------------------------------------------------------------------------------


def redacted_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(key, REMOVED if key.lower() in SENSITIVE_NAMES else value) for key, value in pairs],
        safe="[]",
    )


def access_fields(
    status: str | int, environ: dict[str, Any], sent: int | None, seconds: float
) -> dict[str, Any]:
    """What the access log says about one request: no headers, no credentials."""
    return {
        "request_id": environ.get(REQUEST_ID_ENVIRON),
        "method": environ.get("REQUEST_METHOD"),
        "path": environ.get("PATH_INFO"),
        "query": redacted_query(environ.get("QUERY_STRING", "")),
        "status": int(str(status).split(None, 1)[0]),
        "bytes": sent,
        "duration_ms": round(seconds * 1000, 1),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "user_agent": environ.get("HTTP_USER_AGENT"),
    }
