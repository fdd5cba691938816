"""Typed settings, read from ``MUSTERREGISTER_*`` environment variables.

Strict by design: an unknown variable or override is an error (a typo must not silently fall back
to a default), and a production instance refuses to start without a secret key. Only the explicit
demo mode creates missing secrets by itself, in the instance folder.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "MUSTERREGISTER_"
MIB = 1024 * 1024
SEARCH_BACKENDS = ("whoosh", "postgresql")


class ConfigError(RuntimeError):
    """The configuration is incomplete, insecure or contains unknown keys."""


def _config_rules() -> Any:
    from app.ops import config_rules  # operating rules live with the operating code

    return config_rules


def _loopback_networks() -> tuple[Any, ...]:
    return _config_rules().LOOPBACK_NETWORKS


@dataclass(frozen=True)
class Settings:
    instance_path: Path = field(default_factory=lambda: Path.cwd() / "instance")
    demo: bool = False
    secret_key: str | None = None
    database_url: str | None = None
    base_url: str = "http://127.0.0.1:5000"
    name: str = "Musterregister"
    max_upload_bytes: int = 10 * MIB
    response_cache: bool = True
    session_idle_minutes: int = 60
    session_absolute_hours: int = 12
    demo_oidc_issuer: str = "http://127.0.0.1:5001"
    lint_disabled_rules: frozenset[str] = frozenset()
    background_jobs: bool = True  # false: long work (register imports) runs inside the request
    search_backend: str = "whoosh"  # or "postgresql": one index in the database for several hosts
    search_index_path: Path | None = None  # Whoosh index folder; default <instance>/suchindex
    translations_path: Path | None = None  # more gettext catalogues: <dir>/<locale>/LC_MESSAGES
    review_approvals_required: int = 1  # approvals of other authorities before publication
    annual_working_hours: int = 1600  # net working hours of one full-time post per year (FTE)
    smtp_host: str | None = None  # without it, notifications stay in the inbox only
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Musterregister <noreply@localhost>"
    ratelimits: bool = True  # false only for tests and benchmarks
    # memory:// counts per process; several gunicorn workers or hosts need redis://host:6379
    ratelimit_storage_uri: str = "memory://"
    ratelimit_login: str = "30 per minute"  # per client address: login start and return
    ratelimit_search: str = "6000 per minute"  # per address: a 115 centre shares one NAT address
    ratelimit_write: str = "120 per minute"  # per API token: writing API calls
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-* headers count
    metrics_token: str | None = None  # bearer token for /metrics from outside metrics_networks
    metrics_networks: tuple[Any, ...] = field(default_factory=_loopback_networks)
    log_format: str = "json"  # or "text"
    log_level: str = "INFO"
    seed_path: Path = field(
        default_factory=lambda: Path(__file__).resolve().parent.parent / "seed" / "musterregister"
    )

    @property
    def lint_rules(self) -> frozenset[str]:
        """The modelling-convention rules this instance checks."""
        from app.bpmn.lint_rules import RULES_BY_ID

        return frozenset(RULES_BY_ID) - self.lint_disabled_rules

    @property
    def effective_search_index_path(self) -> Path:
        return self.search_index_path or self.instance_path / "suchindex"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_path / 'musterregister.sqlite3'}"


_PARSERS = {
    "instance_path": Path,
    "search_index_path": Path,
    "translations_path": Path,
    "seed_path": Path,
    "demo": lambda raw: _parse_bool("demo", raw),
    "response_cache": lambda raw: _parse_bool("response_cache", raw),
    "background_jobs": lambda raw: _parse_bool("background_jobs", raw),
    "max_upload_bytes": lambda raw: _parse_positive_int("max_upload_bytes", raw),
    "session_idle_minutes": lambda raw: _parse_positive_int("session_idle_minutes", raw),
    "session_absolute_hours": lambda raw: _parse_positive_int("session_absolute_hours", raw),
    "review_approvals_required": lambda raw: _parse_positive_int("review_approvals_required", raw),
    "annual_working_hours": lambda raw: _parse_positive_int("annual_working_hours", raw),
    "smtp_port": lambda raw: _parse_positive_int("smtp_port", raw),
    "smtp_starttls": lambda raw: _parse_bool("smtp_starttls", raw),
    "lint_disabled_rules": lambda raw: _parse_lint_rules(raw),
    "ratelimits": lambda raw: _parse_bool("ratelimits", raw),
    "ratelimit_login": lambda raw: _parse_rate_limit("ratelimit_login", raw),
    "ratelimit_search": lambda raw: _parse_rate_limit("ratelimit_search", raw),
    "ratelimit_write": lambda raw: _parse_rate_limit("ratelimit_write", raw),
    "trusted_proxies": lambda raw: _config_rules().parse_trusted_proxies(raw),
    "metrics_networks": lambda raw: _config_rules().parse_networks(raw),
    "log_format": lambda raw: _config_rules().parse_choice("log_format", ("json", "text"), raw),
    "log_level": lambda raw: _config_rules().parse_choice(
        "log_level", _config_rules().LOG_LEVELS, raw
    ),
}
_FIELD_NAMES = {f.name for f in dataclasses.fields(Settings)}
_FILE_SUFFIX = "_file"


def _parse_bool(name: str, raw: str | bool) -> bool:
    if isinstance(raw, bool):
        return raw
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on", "ja"}:
        return True
    if value in {"0", "false", "no", "off", "nein", ""}:
        return False
    raise ConfigError(f"{ENV_PREFIX}{name.upper()}: '{raw}' ist kein Wahrheitswert (true/false).")


def _parse_lint_rules(raw: str) -> frozenset[str]:
    from app.bpmn.lint_rules import RULES_BY_ID

    rules = frozenset(part.strip() for part in raw.replace(";", ",").split(",") if part.strip())
    unknown = sorted(rules - RULES_BY_ID.keys())
    if unknown:
        raise ConfigError(
            f"{ENV_PREFIX}LINT_DISABLED_RULES: unbekannte Regel(n) {', '.join(unknown)}. "
            f"Es gibt: {', '.join(RULES_BY_ID)}."
        )
    return rules


def _parse_rate_limit(name: str, raw: str) -> str:
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}{name.upper()}: '{raw}' ist keine Rate (z. B. '30 per minute' oder "
            "'10/second;500/hour')."
        ) from None
    return raw


def _parse_positive_int(name: str, raw: str | int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}: '{raw}' ist keine ganze Zahl.") from None
    if value <= 0:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}: muss größer als 0 sein.")
    return value


def _values_from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name.endswith(_FILE_SUFFIX) and name[: -len(_FILE_SUFFIX)] in _FIELD_NAMES:
            name = name[: -len(_FILE_SUFFIX)]
            raw = _read_secret_file(key, raw)
        if name not in _FIELD_NAMES:
            raise ConfigError(f"Unbekannte Einstellung {key}. Erlaubt sind: {_allowed_names()}.")
        values[name] = raw
    return values


def _read_secret_file(key: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{key}: Datei {path} ist nicht lesbar ({exc.strerror}).") from None


def _allowed_names() -> str:
    return ", ".join(sorted(f"{ENV_PREFIX}{name.upper()}" for name in _FIELD_NAMES))


def _parse(values: Mapping[str, object]) -> dict[str, object]:
    unknown = set(values) - _FIELD_NAMES
    if unknown:
        raise ConfigError(f"Unbekannte Einstellung(en): {', '.join(sorted(unknown))}.")
    return {
        name: _PARSERS[name](raw) if name in _PARSERS and isinstance(raw, str) else raw
        for name, raw in values.items()
    }


def load_settings(
    overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from the environment, then ``overrides`` (used by tests and tools)."""
    values: dict[str, object] = _parse(
        _values_from_environment(os.environ if environ is None else environ)
    )
    values.update(_parse(dict(overrides or {})))
    settings = Settings(**values)  # type: ignore[arg-type]
    _check_search_backend(settings)
    settings = _with_secret_key(settings)
    _config_rules().check_settings(settings)
    return settings


def _check_search_backend(settings: Settings) -> None:
    if settings.search_backend not in SEARCH_BACKENDS:
        raise ConfigError(
            f"{ENV_PREFIX}SEARCH_BACKEND: '{settings.search_backend}' gibt es nicht. "
            f"Möglich: {', '.join(SEARCH_BACKENDS)}."
        )
    if settings.search_backend == "postgresql" and not settings.effective_database_url.startswith(
        "postgresql"
    ):
        raise ConfigError(
            f"{ENV_PREFIX}SEARCH_BACKEND=postgresql braucht eine PostgreSQL-Datenbank "
            f"({ENV_PREFIX}DATABASE_URL=postgresql+psycopg://…)."
        )


def _with_secret_key(settings: Settings) -> Settings:
    if settings.secret_key:
        if len(settings.secret_key) < 32 and not settings.demo:
            raise ConfigError(f"{ENV_PREFIX}SECRET_KEY ist zu kurz: mindestens 32 Zeichen.")
        return settings
    if not settings.demo:
        raise ConfigError(
            f"{ENV_PREFIX}SECRET_KEY (oder {ENV_PREFIX}SECRET_KEY_FILE) fehlt. Für einen "
            f"Probebetrieb ohne Geheimnisse: {ENV_PREFIX}DEMO=true."
        )
    return dataclasses.replace(settings, secret_key=_demo_secret_key(settings.instance_path))


def _demo_secret_key(instance_path: Path) -> str:
    """A random key kept in the instance folder so sessions survive a restart in demo mode."""
    path = instance_path / "demo-secret-key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def current_settings() -> Settings:
    from flask import current_app

    return current_app.extensions["musterregister.settings"]
