"""The ``musterregister`` command: run, migrate, seed and administer an instance."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import click
from flask.cli import AppGroup, FlaskGroup

from app import create_app, migrate
from app.authz import TokenScope, system_actor
from app.config import ConfigError, current_settings
from app.db import get_database
from app.errors import DomainError
from app.identity import services as identity
from app.identity.models import GERMAN_STATES, ApiToken, AuthorityKind, Role
from app.peering.cli import peers_group, sync_command


def _create_app() -> Any:
    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, load_dotenv=False, add_version_option=False)
def main() -> None:
    """Musterregister – Register für Prozessmodelle der öffentlichen Verwaltung."""


def _database_url() -> str:
    return current_settings().effective_database_url


def _cli_actor() -> Any:
    return system_actor(f"Kommandozeile ({os.environ.get('USER', 'unbekannt')})")


def _run(work: Any) -> Any:
    """Run ``work(session)`` in one transaction; domain refusals become a clean CLI error."""
    try:
        with get_database().transaction() as session:
            return work(session)
    except DomainError as error:
        raise click.ClickException(f"{error.detail} {error.errors or ''}".strip()) from None


# --- db ----------------------------------------------------------------------------------------

db = AppGroup("db", help="Datenbankschema verwalten (Alembic).")
main.add_command(db)


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Schema auf REVISION bringen (Standard: neuester Stand)."""
    migrate.upgrade(_database_url(), revision)


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Schema auf REVISION zurücksetzen ('base' löscht alle Tabellen)."""
    migrate.downgrade(_database_url(), revision)


@db.command("check")
def db_check() -> None:
    """Prüfen, ob Modelle und Migrationen übereinstimmen."""
    migrate.check(_database_url())


@db.command("current")
def db_current() -> None:
    """Aktuellen Schemastand zeigen."""
    migrate.current(_database_url())


# --- seed --------------------------------------------------------------------------------------


def _progress(items: Iterable[Any], length: int, label: str) -> Iterator[Any]:
    with click.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
        yield from bar


@main.command("seed")
@click.option(
    "--demo-accounts/--no-demo-accounts",
    default=None,
    help="Demo-Konten anlegen (Standard: nur im Demo-Modus).",
)
def seed_command(demo_accounts: bool | None) -> None:
    """Seed-Register laden: Behörden, LeiKa-Katalog, Musterprozesse. Mehrfach ausführbar."""
    from app.seed import load_seed

    settings = current_settings()
    if not migrate.is_up_to_date(settings.effective_database_url):
        raise click.ClickException(
            "Das Datenbankschema ist nicht aktuell: zuerst 'musterregister db upgrade'."
        )
    report = load_seed(
        get_database(),
        settings.seed_path,
        max_bytes=settings.max_upload_bytes,
        demo_accounts=settings.demo if demo_accounts is None else demo_accounts,
        demo_issuer=settings.demo_oidc_issuer if settings.demo else None,
        progress=_progress,
    )
    for label, bucket in (("neu", report.created), ("aktualisiert", report.updated)):
        for kind, count in sorted(bucket.items()):
            click.echo(f"{label}: {count} {kind}")
    for note in report.skipped:
        click.echo(f"übersprungen: {note}")
    if not report.changed_anything:
        click.echo("Seed-Register ist bereits vollständig geladen; nichts geändert.")
    progress = _StageProgress()
    try:
        indexed = _search_runtime().drain(progress=progress)
    finally:
        progress.close()
    if indexed:
        click.echo(f"Suchindex aktualisiert ({indexed}).")


# --- revisions ---------------------------------------------------------------------------------

revisions = AppGroup("revisions", help="Revisionen von Prozessmodellen.")
main.add_command(revisions)


@revisions.command("analyse")
def revisions_analyse() -> None:
    """Alle Revisionen erneut prüfen (Schema, Importe, Regeln, Auslesen), z. B. nach einem Update."""
    from app.library.models import Revision
    from app.library.services import all_revision_ids, reanalyse

    settings, database = current_settings(), get_database()
    with database.session(write=False) as session:
        ids = all_revision_ids(session)
    changed = 0
    for revision_id in _progress(ids, len(ids), "Revisionen"):
        with database.transaction() as session:
            revision = session.get(Revision, revision_id)
            changed += reanalyse(
                session,
                revision,
                max_bytes=settings.max_upload_bytes * 4,
                lint_rules=settings.lint_rules,
            )
    click.echo(f"{len(ids)} Revisionen geprüft, bei {changed} hat sich das Ergebnis geändert.")


# --- process registers -------------------------------------------------------------------------

register = AppGroup("register", help="Prozessregister einer Behörde (CSV, XLSX) importieren.")
main.add_command(register)


@register.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--authority", "authority_key", required=True, help="Behörde, deren Register es ist.")
@click.option(
    "--dry-run", is_flag=True, help="Nur prüfen und Fehler je Zeile zeigen, nichts ändern."
)
def register_import(file: str, authority_key: str, dry_run: bool) -> None:
    """Ein Prozessregister prüfen und importieren (gleiche Datei erneut: keine Änderung)."""
    from pathlib import Path

    from app.catalog import imports

    path, settings = Path(file), current_settings()
    table = _run(
        lambda _session: imports.read_file(
            path.read_bytes(), path.name, max_bytes=settings.max_upload_bytes
        )
    )
    click.echo(table.report())
    if dry_run or not table.valid_rows:
        return
    actor, totals = _cli_actor(), imports.ImportCounts()
    rows = table.valid_rows
    fields = table.fields
    for batch in _progress(
        list(imports.batches(rows)), -(-len(rows) // imports.BATCH_SIZE), "Import"
    ):
        totals.add(
            _run(
                lambda session, batch=batch: imports.import_rows(
                    session, actor, identity.get_authority(session, authority_key), batch, fields
                )
            )
        )
    click.echo(
        f"{totals.created} neu, {totals.updated} aktualisiert, {totals.unchanged} unverändert."
    )


@register.command("resume")
def register_resume() -> None:
    """Wartende und abgebrochene Importe aus dem Browser (erneut) ausführen."""
    from app.catalog import imports
    from app.catalog.models import ImportJob
    from app.identity.services import actor_for

    database = get_database()
    with database.session(write=False) as session:
        job_ids = imports.runnable_jobs(session)
    for job_id in job_ids:
        with database.session(write=False) as session:
            job = session.get(ImportJob, job_id)
            actor = actor_for(job.account) if job.account_id else _cli_actor()
        imports.run_job(database, job_id, actor, max_bytes=current_settings().max_upload_bytes)
        click.echo(f"Import {job_id} ausgeführt.")
    if not job_ids:
        click.echo("Kein Import wartet.")


# --- XProzess ----------------------------------------------------------------------------------

xprozess = AppGroup("xprozess", help="XProzess-2-Nachrichten (FIM) übernehmen und ausgeben.")
main.add_command(xprozess)


@xprozess.command("import")
@click.argument("message", type=click.File("rb"))
@click.option(
    "--authority", "authority_key", required=True, help="Behörde, der die Prozesse gehören."
)
def xprozess_import(message: Any, authority_key: str) -> None:
    """Eine Nachricht alleInhalte.export.0303 übernehmen (mehrfach ausführbar)."""
    from app.fim.services import import_message

    settings, data = current_settings(), message.read()

    def work(session: Any) -> Any:
        authority = identity.get_authority(session, authority_key)
        return import_message(
            session,
            _cli_actor(),
            authority,
            data,
            max_bytes=settings.max_upload_bytes,
            lint_rules=settings.lint_rules,
        )

    result = _run(work)
    for label, ids in (
        ("neu", result.created),
        ("geändert", result.updated),
        ("unverändert", result.unchanged),
        ("neue Modellrevision", result.revisions),
    ):
        if ids:
            click.echo(f"{label}: {', '.join(ids)}")


@xprozess.command("export")
@click.argument("process_id", type=click.UUID)
@click.option("--output", type=click.File("wb"), required=True)
def xprozess_export(process_id: uuid.UUID, output: Any) -> None:
    """Einen Registereintrag mit seinem veröffentlichten Modell als Nachricht schreiben."""
    from app.catalog.services import get_process
    from app.db import utcnow
    from app.fim.services import export_process

    message = _run(
        lambda session: export_process(
            session,
            _cli_actor(),
            get_process(session, process_id),
            sender=current_settings().name,
            now=utcnow(),
        )
    )
    output.write(message)


# --- authorities, accounts, tokens -------------------------------------------------------------

authorities = AppGroup("authorities", help="Behörden verwalten.")
main.add_command(authorities)


@authorities.command("list")
@click.option("--suche", "text", help="Teil des Namens oder Kürzels.")
def authorities_list(text: str | None) -> None:
    """Behörden auflisten."""

    def work(session: Any) -> None:
        page = identity.list_authorities(session, text=text, page=1, page_size=1000)
        for authority in page.items:
            click.echo(
                f"{authority.slug:40} {authority.kind.value:9} {authority.state or '--':3} {authority.name}"
            )
        click.echo(f"{page.total} Behörden")

    _run(work)


@authorities.command("create")
@click.option("--slug", required=True, help="Kurzname in Adressen, z. B. 'hamm'.")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice([kind.value for kind in AuthorityKind]), required=True)
@click.option("--state", type=click.Choice(sorted(GERMAN_STATES)), help="Land (ISO-Kürzel).")
@click.option("--ars", help="Amtlicher Regionalschlüssel, 12 Ziffern.")
@click.option("--website")
def authorities_create(
    slug: str, name: str, kind: str, state: str | None, ars: str | None, website: str | None
) -> None:
    """Behörde anlegen."""
    if ars is not None and not (ars.isdigit() and len(ars) == 12):
        raise click.BadParameter("12 Ziffern erwartet.", param_hint="--ars")
    data = identity.AuthorityData(
        slug=slug, name=name, kind=AuthorityKind(kind), state=state, ars=ars, website=website
    )
    authority = _run(lambda session: identity.create_authority(session, _cli_actor(), data))
    click.echo(f"Behörde angelegt: {authority.slug} ({authority.id})")


@authorities.command("login")
@click.argument("authority_key")
@click.option("--issuer", required=True, help="Adresse des OpenID-Anbieters (Issuer).")
@click.option("--client-id", required=True)
@click.option("--client-secret-env", help="Umgebungsvariable mit dem Client-Geheimnis.")
@click.option("--client-secret-file", help="Datei mit dem Client-Geheimnis.")
@click.option("--scopes", default="openid profile email", show_default=True)
@click.option("--roles-claim", help="Claim mit den Rollen, z. B. roles oder realm_access.roles.")
@click.option(
    "--role",
    "role_pairs",
    multiple=True,
    metavar="WERT=ROLLE",
    help="Claim-Wert einer Rolle zuordnen; mehrfach.",
)
@click.option(
    "--tenant-claim", help="Claim, der die Behörde bei gemeinsamem Anbieter kennzeichnet."
)
@click.option("--tenant-value", help="Wert dieses Claims für diese Behörde.")
@click.option("--disabled", is_flag=True, help="Anmeldung eingerichtet, aber ausgeschaltet.")
def authorities_login(
    authority_key: str,
    issuer: str,
    client_id: str,
    client_secret_env: str | None,
    client_secret_file: str | None,
    scopes: str,
    roles_claim: str | None,
    role_pairs: tuple[str, ...],
    tenant_claim: str | None,
    tenant_value: str | None,
    disabled: bool,
) -> None:
    """Anmeldung einer Behörde über ihren OpenID-Connect-Anbieter einrichten oder ändern."""
    from app.identity.login import LoginSettings, set_authority_login

    if client_secret_env and client_secret_file:
        raise click.BadParameter("Entweder --client-secret-env oder --client-secret-file.")
    secret_ref = (
        f"env:{client_secret_env}"
        if client_secret_env
        else f"file:{client_secret_file}"
        if client_secret_file
        else None
    )
    mapping = dict(pair.split("=", 1) for pair in role_pairs if "=" in pair)
    settings = LoginSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret_ref=secret_ref,
        scopes=scopes,
        roles_claim=roles_claim,
        role_mapping={value.strip(): role.strip() for value, role in mapping.items()},
        tenant_claim=tenant_claim,
        tenant_value=tenant_value,
        enabled=not disabled,
    )
    _run(
        lambda session: set_authority_login(
            session, _cli_actor(), identity.get_authority(session, authority_key), settings
        )
    )
    click.echo(f"Anmeldung für {authority_key} gespeichert.")


@authorities.command("show")
@click.argument("authority_key")
def authorities_show(authority_key: str) -> None:
    """Eine Behörde mit ihrer Anmeldung zeigen (ohne Geheimnisse)."""
    from app.identity.login import login_snapshot
    from app.identity.models import AuthorityLogin

    def work(session: Any) -> None:
        authority = identity.get_authority(session, authority_key)
        for key, value in identity.authority_snapshot(authority).items():
            click.echo(f"{key}: {value}")
        login = session.get(AuthorityLogin, authority.id)
        if login is None:
            click.echo("Anmeldung: nicht eingerichtet")
            return
        for key, value in login_snapshot(login).items():
            click.echo(f"anmeldung.{key}: {value}")

    _run(work)


accounts = AppGroup("accounts", help="Konten verwalten (lokale Konten, z. B. für API-Zugriffe).")
main.add_command(accounts)


@accounts.command("create")
@click.option("--authority", "authority_key", required=True, help="Kürzel oder ID der Behörde.")
@click.option("--name", required=True, help="Anzeigename.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([role.value for role in Role]),
    required=True,
)
@click.option("--subject", help="Kennung des lokalen Kontos (Standard: zufällig).")
@click.option("--email")
def accounts_create(
    authority_key: str, name: str, roles: tuple[str, ...], subject: str | None, email: str | None
) -> None:
    """Lokales Konto anlegen."""

    def work(session: Any) -> Any:
        authority = identity.get_authority(session, authority_key)
        return identity.create_account(
            session,
            _cli_actor(),
            authority,
            display_name=name,
            roles=[Role(r) for r in roles],
            subject=subject,
            email=email,
        )

    account = _run(work)
    click.echo(f"Konto angelegt: {account.subject} ({account.id})")


@accounts.command("list")
@click.option("--authority", "authority_key", required=True, help="Kürzel oder ID der Behörde.")
def accounts_list(authority_key: str) -> None:
    """Konten einer Behörde auflisten."""

    def work(session: Any) -> None:
        authority = identity.get_authority(session, authority_key)
        for account in identity.list_accounts(session, authority):
            click.echo(f"{account.subject:36} {','.join(account.roles):40} {account.display_name}")

    _run(work)


tokens = AppGroup("tokens", help="Persönliche API-Tokens verwalten.")
main.add_command(tokens)


@tokens.command("create")
@click.option("--account", "account_key", required=True, help="Kennung oder ID des Kontos.")
@click.option("--name", required=True, help="Wofür das Token ist.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice([scope.value for scope in TokenScope]),
    help="Geltungsbereich; mehrfach möglich (Standard: alle).",
)
@click.option("--days", default=90, show_default=True, type=int, help="Gültigkeit in Tagen.")
def tokens_create(account_key: str, name: str, scopes: tuple[str, ...], days: int) -> None:
    """Token anlegen. Es wird genau einmal angezeigt."""

    def work(session: Any) -> tuple[ApiToken, str]:
        account = identity.find_account(session, account_key)
        chosen = [TokenScope(scope) for scope in scopes] or list(TokenScope)
        return identity.create_token(
            session, _cli_actor(), account, name=name, scopes=chosen, days=days
        )

    token, raw = _run(work)
    click.echo(
        f"Token {token.id} gültig bis {token.expires_at:%Y-%m-%d}, Bereiche: {', '.join(token.scopes)}",
        err=True,
    )
    click.echo("Das Token wird nur jetzt angezeigt:", err=True)
    click.echo(raw)


@tokens.command("list")
@click.option("--account", "account_key", required=True, help="Kennung oder ID des Kontos.")
def tokens_list(account_key: str) -> None:
    """Tokens eines Kontos (ohne Geheimnis)."""

    def work(session: Any) -> None:
        for token in identity.list_tokens(
            session, _cli_actor(), identity.find_account(session, account_key)
        ):
            state = (
                "widerrufen"
                if token.revoked_at
                else ("aktiv" if token.is_active() else "abgelaufen")
            )
            click.echo(
                f"{token.id} {token.token_prefix}… {state:10} bis {token.expires_at:%Y-%m-%d} {token.name}"
            )

    _run(work)


@tokens.command("revoke")
@click.argument("token_id", type=click.UUID)
def tokens_revoke(token_id: uuid.UUID) -> None:
    """Token widerrufen."""

    def work(session: Any) -> None:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise click.ClickException(f"Das Token {token_id} gibt es nicht.")
        identity.revoke_token(session, _cli_actor(), token)

    _run(work)
    click.echo(f"Token {token_id} widerrufen.")


# --- serve -------------------------------------------------------------------------------------


@main.command("demo-provider-config")
@click.option("--output", type=click.Path(dir_okay=False), required=True, help="Zieldatei (JSON).")
def demo_provider_config(output: str) -> None:
    """Konfiguration des Demo-Anmeldedienstes schreiben (nur im Demo-Modus)."""
    import json

    from app.identity.demo import provider_config

    settings = current_settings()
    if not settings.demo:
        raise click.ClickException(
            "Den Demo-Anmeldedienst gibt es nur im Demo-Modus (MUSTERREGISTER_DEMO=true)."
        )
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(provider_config(settings), handle, ensure_ascii=False, indent=2)
    click.echo(f"Demo-Anmeldedienst: {settings.demo_oidc_issuer} (Konfiguration in {output})")


def _refuse_demo_logins_in_production() -> None:
    from app.identity.login import demo_logins_configured

    if current_settings().demo:
        return
    with get_database().session(write=False) as session:
        if demo_logins_configured(session):
            raise click.ClickException(
                "Behörden sind mit dem Demo-Anmeldedienst verbunden, der Demo-Modus ist aber aus. "
                "Bitte die Anmeldung dieser Behörden einrichten (musterregister authorities login …) "
                "oder den Demo-Modus ausdrücklich einschalten."
            )


# --- search ------------------------------------------------------------------------------------

search_group = AppGroup("search", help="Suchindex verwalten.")
main.add_command(search_group)
SEARCH_STAGES = {"read": "Daten lesen", "index": "Indexieren"}


class _StageProgress:
    """One progress bar per stage of a long search job, on stderr."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._stage: str | None = None
        self._done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage, self._done = stage, 0
            label = SEARCH_STAGES.get(stage, stage)
            self._bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _search_runtime() -> Any:
    from app.search import search_runtime

    return search_runtime()


@search_group.command("rebuild")
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=int,
    help="Prozesse, die den Index schreiben (2 lohnt sich ab etwa 10.000 Dokumenten).",
)
def search_rebuild(processes: int) -> None:
    """Suchindex und Wortschatz vollständig neu aufbauen (die Suche läuft währenddessen weiter)."""
    progress = _StageProgress()
    try:
        count = _search_runtime().rebuild(processes=max(1, processes), progress=progress)
    except TimeoutError as error:
        raise click.ClickException(f"{error} Bitte später erneut versuchen.") from None
    finally:
        progress.close()
    click.echo(f"Suchindex neu aufgebaut: {count} Dokumente.")


@search_group.command("sync")
def search_sync() -> None:
    """Wartende Änderungen jetzt indexieren (sonst tut das der laufende Server)."""
    progress = _StageProgress()
    try:
        count = _search_runtime().drain(progress=progress)
    finally:
        progress.close()
    click.echo(f"{count} Änderungen indexiert." if count else "Nichts zu indexieren.")


@search_group.command("check")
@click.option(
    "--show", default=20, show_default=True, type=int, help="So viele Abweichungen zeigen."
)
def search_check(show: int) -> None:
    """Index mit der Datenbank vergleichen; Exit-Code 1 bei Abweichungen."""
    progress = _StageProgress()
    try:
        drift = _search_runtime().check(progress=progress)
    finally:
        progress.close()
    labels = (
        ("fehlen im Index", drift.missing),
        ("veraltet im Index", drift.stale),
        ("im Index, aber nicht mehr in der Datenbank", drift.orphaned),
    )
    for label, ids in labels:
        if ids:
            click.echo(f"{len(ids)} Dokumente {label}:")
            for document_id in ids[:show]:
                click.echo(f"  {document_id}")
    if drift.queued:
        click.echo(f"{drift.queued} Änderungen warten noch auf den Indexer.")
    if drift.clean:
        click.echo("Index und Datenbank stimmen überein.")
        return
    click.echo("Abhilfe: musterregister search rebuild")
    sys.exit(1)


# --- notifications -------------------------------------------------------------------------------

notifications_group = AppGroup("notifications", help="Benachrichtigungen per E-Mail versenden.")
main.add_command(notifications_group)


@notifications_group.command("send")
def notifications_send() -> None:
    """Wartende E-Mails jetzt versenden (sonst tut das der laufende Server)."""
    from app.review.mail import mailer

    report = mailer().send_pending()
    if not report.configured:
        raise click.ClickException(
            "Kein SMTP-Server eingerichtet (MUSTERREGISTER_SMTP_HOST); "
            f"wartende E-Mails: {mailer().pending()}."
        )
    click.echo(f"{report.sent} E-Mail{'' if report.sent == 1 else 's'} gesendet.")
    if report.retrying or report.failed:
        click.echo(
            f"Fehlgeschlagen: {report.retrying} (neuer Versuch später), {report.failed} aufgegeben."
        )


@notifications_group.command("status")
def notifications_status() -> None:
    """Zeigen, wie viele E-Mails warten, versandt oder aufgegeben sind."""
    from app.review.mail import status_counts

    for label, count in status_counts(get_database()).items():
        click.echo(f"{label}: {count}")


# --- federation ----------------------------------------------------------------------------------

federation_group = AppGroup("federation", help="Föderation: Identität, Feed und Partnerinstanzen.")
main.add_command(federation_group)
federation_group.add_command(sync_command)  # app/peering/cli.py, like `musterregister peers`
main.add_command(peers_group)


@federation_group.command("identity")
def federation_identity() -> None:
    """Schlüssel und Fingerabdruck dieser Instanz zeigen (legt beim ersten Mal den Schlüssel an)."""
    from app.peering import keys

    _run(lambda session: keys.ensure_key(session, current_settings().secret_key or ""))
    _show_keys()


@federation_group.command("rotate-key")
def federation_rotate_key() -> None:
    """Neuen Signierschlüssel anlegen; der bisherige signiert nicht mehr, prüft aber weiter."""
    from app.peering import keys

    key = _run(lambda session: keys.rotate_key(session, current_settings().secret_key or ""))
    click.echo(f"Neuer Signierschlüssel: {key.kid}")
    _show_keys()
    click.echo("Partnerinstanzen sehen einen neuen Fingerabdruck und müssen ihn erneut bestätigen.")


def _show_keys() -> None:
    from app.peering import keys

    with get_database().session(write=False) as session:
        for key in keys.all_keys(session):
            state = f"im Ruhestand seit {key.retired_at:%Y-%m-%d}" if key.retired_at else "aktiv"
            click.echo(f"  {key.kid}  {state}")
        click.echo(f"Fingerabdruck: {keys.fingerprint(session)}")


# --- backups (app/backup, docs/sicherung.md) -----------------------------------------------------


@main.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--with-keys", is_flag=True, help="Private Signierschlüssel mitsichern.")
@click.option("--verify", is_flag=True, help="Nur eine vorhandene Sicherung PATH prüfen.")
def export_command(path: str, with_keys: bool, verify: bool) -> None:
    """Register vollständig in eine Sicherung schreiben (PATH: .tar.gz oder .tar)."""
    from pathlib import Path

    from app.backup import BackupError, export

    progress, settings = _StageProgress(), current_settings()
    try:
        if verify:
            _verify_backup(Path(path), progress)
            return
        with export.snapshot(get_database()) as connection:
            manifest = export.export_instance(
                connection,
                Path(path),
                instance={"name": settings.name, "base_url": settings.base_url},
                with_keys=with_keys,
                progress=progress,
            )
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    finally:
        progress.close()
    rows = sum(table["rows"] for table in manifest["tables"].values())
    blobs = manifest["blobs"]["count"]
    click.echo(f"Sicherung geschrieben: {path} ({rows} Zeilen, {blobs} Blobs).")
    if with_keys:
        click.echo("Enthält die privaten Schlüssel: zum Einspielen denselben SECRET_KEY verwenden.")


def _verify_backup(path: Any, progress: _StageProgress) -> None:
    from app.backup.archive import verify_archive

    manifest = verify_archive(path, progress).manifest
    progress.close()
    instance = manifest.get("instance") or {}
    click.echo(
        f"Sicherung unversehrt: {len(manifest['files'])} Dateien, Schemastand "
        f"{manifest.get('schema_revision')}, erstellt {manifest.get('created_at')} von "
        f"{instance.get('base_url')}."
    )


@main.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--without-keys", is_flag=True, help="Private Signierschlüssel nicht übernehmen.")
def import_command(path: str, without_keys: bool) -> None:
    """Sicherung PATH in dieses leere Register einspielen; danach Suchindex neu aufbauen."""
    from pathlib import Path

    from app.backup import BackupError
    from app.backup.restore import restore_instance

    progress, settings = _StageProgress(), current_settings()
    try:
        report = restore_instance(
            get_database(),
            Path(path),
            secret_key=settings.secret_key or "",
            without_keys=without_keys,
            progress=progress,
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    finally:
        progress.close()
    click.echo(f"Eingespielt: {sum(report.rows.values())} Zeilen, {report.blobs} Blobs.")
    _note_identity(report, settings)
    progress = _StageProgress()  # the search index is derived: built anew from the restored rows
    try:
        count = _search_runtime().rebuild(progress=progress)
    except Exception as error:
        raise click.ClickException(
            f"Die Daten sind eingespielt, der Suchindex aber nicht ({error}). "
            "Bitte 'musterregister search rebuild' ausführen."
        ) from None
    finally:
        progress.close()
    click.echo(f"Suchindex neu aufgebaut: {count} Dokumente.")


def _note_identity(report: Any, settings: Any) -> None:
    archived = (report.manifest.get("instance") or {}).get("base_url")
    if archived != settings.base_url:
        click.echo(
            f"Hinweis: gesichert wurde {archived}, dieses Register heißt {settings.base_url}. "
            "Für die Föderation muss MUSTERREGISTER_BASE_URL gleich bleiben.",
            err=True,
        )
    if report.rows.get("instance_keys") and not report.private_keys:
        click.echo(
            "Ohne privaten Signierschlüssel eingespielt: beim ersten Signieren entsteht ein neuer; "
            "Partnerinstanzen müssen den neuen Fingerabdruck bestätigen.",
            err=True,
        )


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Prozesse (Standard: einer je CPU-Kern).")
@click.option(
    "--threads", default=8, show_default=True, type=int, help="Threads je Prozess (1: sync-Worker)."
)
@click.option("--timeout", default=60, show_default=True, type=int, help="Sekunden je Anfrage.")
def serve(host: str, port: int, workers: int | None, threads: int, timeout: int) -> None:
    """Register mit gunicorn ausliefern (prüft vorher Datenbank, Schema und Anmeldung)."""
    from app.ops import logging as ops_logging
    from app.ops.startup import prepare_multiprocess_metrics
    from app.server import run_gunicorn

    settings = current_settings()
    _check_before_serving(host)
    ops_logging.configure_logging(settings.log_format, settings.log_level)
    created = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    metrics_folder, master = prepare_multiprocess_metrics(), os.getpid()
    try:
        run_gunicorn(
            host=host,
            port=port,
            workers=workers or os.cpu_count() or 1,
            threads=threads,
            timeout=timeout,
            log_format=settings.log_format,
            level=settings.log_level,
        )
    finally:
        # a worker leaves through here too (it is a fork of this process): only the master cleans up
        if created and os.getpid() == master:
            shutil.rmtree(metrics_folder, ignore_errors=True)


def _check_before_serving(host: str) -> None:
    from app.ops.startup import check_startup

    try:
        report = check_startup(current_settings(), get_database(), host)
        for warning in report.warnings:
            click.echo(f"Warnung: {warning}", err=True)
        if report.refusals:
            raise click.ClickException("\n".join(report.refusals))
        _refuse_demo_logins_in_production()
    finally:
        get_database().dispose()  # no pooled connection may be shared with the forked workers


if __name__ == "__main__":
    main()
