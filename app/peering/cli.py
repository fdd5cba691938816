"""Commands for peers and the sync: ``musterregister peers …`` and ``musterregister federation sync``.

Registered by :mod:`app.cli`; they call the same services as the peers pages.
"""

from __future__ import annotations

import os
import time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import configure_mappers

from app.authz import system_actor
from app.config import current_settings
from app.db import get_database
from app.errors import DomainError
from app.peering import peers, syncing
from app.peering.admin_views import STATE_LABELS, client_factory


def _actor() -> Any:
    return system_actor(f"Kommandozeile ({os.environ.get('USER', 'unbekannt')})")


def _run(work: Any) -> Any:
    try:
        with get_database().transaction() as session:
            return work(session)
    except DomainError as error:
        messages = " ".join(m for ms in (error.errors or {}).values() for m in ms)
        raise click.ClickException(messages or error.detail) from None


def _when(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "–"


# --- peers -------------------------------------------------------------------------------------


@click.group("peers", cls=AppGroup, invoke_without_command=True)
@click.pass_context
def peers_group(context: click.Context) -> None:
    """Partnerinstanzen: anzeigen (ohne Unterbefehl), hinzufügen, bestätigen, pausieren."""
    if context.invoked_subcommand is None:
        context.invoke(peers_list)


@peers_group.command("list")
def peers_list() -> None:
    """Partnerinstanzen mit Zustand, letztem Abgleich, Rückstand und letztem Fehler."""

    def work(session: Any) -> None:
        rows = peers.list_peers(session, _actor())
        click.echo(
            f"{'NAME':20} {'ADRESSE':40} {'ZUSTAND':24} {'LETZTER ABGLEICH':17} "
            f"{'RÜCKSTAND':>9}  LETZTER FEHLER"
        )
        for peer in rows:
            lag = "–" if peer.lag_events is None else str(peer.lag_events)
            click.echo(
                f"{peer.name:20} {peer.base_url:40} {STATE_LABELS[peer.state]!s:24} "
                f"{_when(peer.last_success_at):17} {lag:>9}  {peer.last_error or '–'}"
            )
        if not rows:
            click.echo("Noch keine Partnerinstanz eingetragen.")

    _run(work)


@peers_group.command("add")
@click.argument("name")
@click.argument("url")
def peers_add(name: str, url: str) -> None:
    """Instanz unter URL abfragen und als NAME eintragen (wartet dann auf Bestätigung)."""
    factory, own = client_factory(current_app), current_settings().base_url
    peer = _run(
        lambda session: peers.add_peer(session, _actor(), name, url, factory, own_base_url=own)
    )
    click.echo(f"Eingetragen: {peer.name} – {peer.instance_name} ({peer.base_url})")
    click.echo(f"Fingerabdruck: {peer.fingerprint}")
    click.echo(
        "Bitte den Fingerabdruck auf einem zweiten Weg beim Betrieb der Instanz abgleichen und "
        f'dann bestätigen:\n  musterregister peers confirm {peer.name} --fingerprint "…"'
    )


@peers_group.command("confirm")
@click.argument("name")
@click.option("--fingerprint", required=True, help="Der Fingerabdruck, wie ihn der Betrieb nennt.")
def peers_confirm(name: str, fingerprint: str) -> None:
    """Schlüssel von NAME vertrauen, wenn der Fingerabdruck genau übereinstimmt."""
    _run(
        lambda session: peers.confirm_peer(
            session, _actor(), peers.get_peer(session, _actor(), name), fingerprint
        )
    )
    click.echo(f"{name}: Fingerabdruck bestätigt, die Instanz wird ab jetzt abgeglichen.")


def _state_command(command: str, action: Any, message: str) -> None:
    @peers_group.command(command)
    @click.argument("name")
    def run(name: str) -> None:
        result = _run(
            lambda session: action(session, _actor(), peers.get_peer(session, _actor(), name))
        )
        click.echo(message.format(name=name, result=result))

    run.__doc__ = message.split(":", 1)[-1].strip().format(name="NAME", result="…")


_state_command("pause", peers.pause_peer, "{name}: Abgleich pausiert.")
_state_command("resume", peers.resume_peer, "{name}: Abgleich fortgesetzt.")
_state_command(
    "remove", peers.remove_peer, "{name}: entfernt, {result} gespiegelte Revisionen zurückgezogen."
)


@peers_group.command("vouched")
@click.argument("name")
@click.option("--accept/--refuse", required=True, help="Weitergegebene Inhalte annehmen?")
def peers_vouched(name: str, accept: bool) -> None:
    """Inhalte von Instanzen annehmen, für die NAME bürgt (A → B → C)."""
    _run(
        lambda session: peers.set_accept_vouched(
            session, _actor(), peers.get_peer(session, _actor(), name), accept
        )
    )
    click.echo(f"{name}: weitergegebene Inhalte werden {'angenommen' if accept else 'abgelehnt'}.")


# --- sync --------------------------------------------------------------------------------------


@click.command("sync")
@with_appcontext
@click.option("--peer", "name", help="Nur diese Partnerinstanz (Kurzname).")
@click.option("--watch", is_flag=True, help="Immer wieder abgleichen, bis Strg+C.")
@click.option(
    "--interval", default=60.0, show_default=True, type=float, help="Sekunden zwischen Läufen."
)
@click.option(
    "--deadline", default=60.0, show_default=True, type=float, help="Höchstdauer je Instanz."
)
@click.option("--timing", is_flag=True, help="Dauer jedes Laufs ausgeben (ohne Programmstart).")
@click.option(
    "--page-size",
    default=100,
    show_default=True,
    type=click.IntRange(1, 500),
    help="Ereignisse je Abruf.",
)
@click.option(
    "--retries",
    default=5,
    show_default=True,
    type=click.IntRange(0, 20),
    help="Wiederholungen eines gescheiterten Abrufs (mit wachsendem Abstand).",
)
def sync_command(
    name: str | None,
    watch: bool,
    interval: float,
    deadline: float,
    timing: bool,
    page_size: int,
    retries: int,
) -> None:
    """Aktive Partnerinstanzen abgleichen: neue Ereignisse prüfen und spiegeln."""
    options = {"deadline_s": deadline, "page_size": page_size, "max_retries": retries}
    client_factory(current_app)  # one-time set-up (HTTP client, ORM mappers) before the runs
    configure_mappers()
    while True:
        started = time.perf_counter()
        failed = _sync_once(name, options)
        if timing:
            click.echo(f"Dauer des Abgleichs: {(time.perf_counter() - started) * 1000:.1f} ms")
        if not watch:
            if failed:
                raise SystemExit(1)
            return
        try:
            time.sleep(max(interval, 1.0))
        except KeyboardInterrupt:
            return


def _sync_once(name: str | None, options: dict[str, Any]) -> bool:
    settings, database = current_settings(), get_database()
    try:
        results = syncing.sync_all(
            database, settings, client_factory(current_app), name=name, **options
        )
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    for result in results:
        click.echo(result.summary)
    if not results:
        click.echo("Keine aktive Partnerinstanz.")
    return any(result.error for result in results)
