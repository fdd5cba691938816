"""Operating settings (proxy, metrics, logs) and the rules a production configuration must meet.

``load_settings`` calls :func:`check_settings` for every application, so a configuration that
would run insecurely (a public address without TLS, an SMTP password sent in clear) or that is
incomplete (an SMTP user without a password) never starts: not the server, not a command.
All problems are reported at once, each with the variable to change.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from app.config import ENV_PREFIX, ConfigError, Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK_NETWORKS: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIN_METRICS_TOKEN_LENGTH = 32
MAX_TRUSTED_PROXIES = 5


def parse_trusted_proxies(raw: str | int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{ENV_PREFIX}TRUSTED_PROXIES: '{raw}' ist keine ganze Zahl.") from None
    if not 0 <= value <= MAX_TRUSTED_PROXIES:
        raise ConfigError(
            f"{ENV_PREFIX}TRUSTED_PROXIES: Anzahl der Reverse-Proxys vor dem Register, "
            f"0 bis {MAX_TRUSTED_PROXIES} (meist 1 für nginx)."
        )
    return value


def parse_networks(raw: str) -> tuple[Network, ...]:
    networks = []
    for part in raw.replace(";", ",").split(","):
        if not part.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"{ENV_PREFIX}METRICS_NETWORKS: '{part.strip()}' ist kein Netz "
                "(z. B. 127.0.0.1/32, 10.20.0.0/16 oder ::1/128)."
            ) from None
    return tuple(networks)


def parse_choice(name: str, choices: tuple[str, ...], raw: str) -> str:
    value = raw.strip()
    if name == "log_level":
        value = value.upper()
    if value not in choices:
        raise ConfigError(
            f"{ENV_PREFIX}{name.upper()}: '{raw}' gibt es nicht. Möglich: {', '.join(choices)}."
        )
    return value


def check_settings(settings: Settings) -> None:
    """Refuse an incomplete or insecure configuration, naming every problem at once."""
    problems = [
        *_base_url_problems(settings),
        *_smtp_problems(settings),
        *_metrics_problems(settings),
    ]
    if problems:
        raise ConfigError(
            "Die Konfiguration ist unvollständig oder unsicher:\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )


def is_loopback_host(host: str | None) -> bool:
    return (host or "").strip("[]").lower() in LOOPBACK_HOSTS


def _base_url_problems(settings: Settings) -> list[str]:
    name, url = f"{ENV_PREFIX}BASE_URL", settings.base_url
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return [f"{name}: '{url}' ist keine Adresse wie https://register.example.de."]
    if parts.query or parts.fragment:
        return [f"{name}: '{url}' darf weder '?' noch '#' enthalten."]
    if parts.scheme == "http" and not settings.demo and not is_loopback_host(parts.hostname):
        return [
            f"{name}: '{url}' ist unverschlüsselt. Im Betrieb muss die öffentliche Adresse mit "
            "https:// beginnen (TLS am Reverse-Proxy); http:// nur für 127.0.0.1 oder localhost."
        ]
    return []


def _smtp_problems(settings: Settings) -> list[str]:
    user, password = settings.smtp_user, settings.smtp_password
    if bool(user) != bool(password):
        missing = "SMTP_PASSWORD (oder …_SMTP_PASSWORD_FILE)" if user else "SMTP_USER"
        return [f"{ENV_PREFIX}{missing} fehlt: SMTP-Anmeldung braucht Benutzer und Passwort."]
    if not settings.smtp_host:
        return (
            [f"{ENV_PREFIX}SMTP_USER ist gesetzt, aber kein {ENV_PREFIX}SMTP_HOST."] if user else []
        )
    cleartext = user and not settings.smtp_starttls and not is_loopback_host(settings.smtp_host)
    if cleartext and not settings.demo:
        return [
            f"{ENV_PREFIX}SMTP_STARTTLS ist aus: das SMTP-Passwort ginge unverschlüsselt an "
            f"{settings.smtp_host}. Bitte {ENV_PREFIX}SMTP_STARTTLS=true (meist Port 587)."
        ]
    return []


def _metrics_problems(settings: Settings) -> list[str]:
    token = settings.metrics_token
    if token is not None and len(token) < MIN_METRICS_TOKEN_LENGTH:
        return [
            f"{ENV_PREFIX}METRICS_TOKEN ist zu kurz: mindestens {MIN_METRICS_TOKEN_LENGTH} "
            "Zeichen (z. B. openssl rand -hex 32)."
        ]
    return []
