"""Structured logs: JSON lines, the request id in every line of a request, no secrets."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from app.ops.logging import access_fields, make_formatter, make_handler, redacted_query

GENERATED = re.compile(r"[0-9a-f]{32}")


@contextmanager
def json_lines(logger_name: str) -> Iterator[list[dict]]:
    stream, lines = io.StringIO(), []
    handler = make_handler("json", stream)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def test_a_sane_request_id_from_the_proxy_is_kept_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "4f1c2a9be0d34c6f8a7b6c5d4e3f2a1b"})
    assert response.headers["X-Request-ID"] == "4f1c2a9be0d34c6f8a7b6c5d4e3f2a1b"


def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(client):
    seen = set()
    for offered in (
        None,
        "kurz",
        "mit leerzeichen und\tsteuerzeichen",
        "x" * 500,
        "<script>1</script>",
    ):
        headers = {"X-Request-ID": offered} if offered else {}
        returned = client.get("/healthz", headers=headers).headers["X-Request-ID"]
        assert GENERATED.fullmatch(returned), returned
        seen.add(returned)
    assert len(seen) == 5  # a new one each time


def test_every_line_logged_during_a_request_carries_its_id(app):
    with json_lines("app.probe") as lines:
        with app.test_request_context("/", headers={"X-Request-ID": "nginx-0123456789abcdef"}):
            logging.getLogger("app.probe").warning("Erster Schritt")
            logging.getLogger("app.probe").error("Zweiter Schritt: %s", "gescheitert")
        logging.getLogger("app.probe").warning("Außerhalb einer Anfrage")
    assert [(line["message"], line.get("request_id")) for line in lines] == [
        ("Erster Schritt", "nginx-0123456789abcdef"),
        ("Zweiter Schritt: gescheitert", "nginx-0123456789abcdef"),
        ("Außerhalb einer Anfrage", None),
    ]
    first = lines[0]
    assert first["level"] == "WARNING" and first["logger"] == "app.probe"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", first["time"])


def test_fields_named_like_credentials_never_reach_the_log():
    with json_lines("app.probe") as lines:
        logging.getLogger("app.probe").warning(
            "Anmeldung",
            extra={"password": "pw-geheim", "Authorization": "Bearer tok-geheim", "konto": "k1"},
        )
    assert lines[0]["konto"] == "k1"
    assert "geheim" not in json.dumps(lines)


def test_the_access_line_has_no_headers_and_no_credentials_in_the_query():
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/anmelden/rueckkehr",
        "QUERY_STRING": "code=code-geheim&state=state-geheim&next=%2Fsuche&access_token=t-geheim",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": "Bearer tok-geheim",
        "HTTP_COOKIE": "session=cookie-geheim",
        "HTTP_USER_AGENT": "Prüfer/1.0",
        "musterregister.request_id": "nginx-0123456789abcdef",
    }
    fields = access_fields("302 FOUND", environ, 219, 0.0123)
    assert "geheim" not in json.dumps(fields)
    assert fields["status"] == 302 and fields["duration_ms"] == 12.3
    assert fields["request_id"] == "nginx-0123456789abcdef"
    assert fields["query"] == (
        "code=[entfernt]&state=[entfernt]&next=%2Fsuche&access_token=[entfernt]"
    )
    assert redacted_query("q=Hund+anmelden") == "q=Hund+anmelden"


class _Response:
    """What gunicorn hands its access logger: a status line and the bytes sent."""

    status, sent = "200 OK", 1234


def _gunicorn_access_line(log_format: str) -> str:
    from datetime import timedelta

    from gunicorn.config import Config

    from app.server import gunicorn_options

    config = Config()
    options = gunicorn_options(
        host="127.0.0.1",
        port=5000,
        workers=2,
        threads=4,
        timeout=60,
        log_format=log_format,
        level="INFO",
    )
    for key, setting in options.items():
        config.set(key, setting)
    logger = options["logger_class"](config)
    stream = io.StringIO()
    logger.access_log.handlers[0].setStream(stream)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/suche",
        "QUERY_STRING": "q=Hund&token=t-geheim",
    }
    environ["musterregister.request_id"] = "nginx-0123456789abcdef"
    logger.access(_Response(), None, environ, timedelta(milliseconds=42))
    return stream.getvalue()


def test_gunicorn_writes_its_access_lines_as_json_or_text():
    line = json.loads(_gunicorn_access_line("json"))
    assert line["logger"] == "gunicorn.access" and line["request_id"] == "nginx-0123456789abcdef"
    assert (line["path"], line["status"], line["bytes"], line["duration_ms"]) == (
        "/suche",
        200,
        1234,
        42.0,
    )
    assert line["query"] == "q=Hund&token=[entfernt]"
    text = _gunicorn_access_line("text")
    assert "INFO gunicorn.access [nginx-0123456789abcdef] GET /suche 200 42.0ms" in text
    assert "geheim" not in text
    outside = logging.LogRecord("gunicorn.error", logging.INFO, __file__, 1, "Booting", (), None)
    assert make_formatter("text").format(outside).endswith(" INFO gunicorn.error [-] Booting")
