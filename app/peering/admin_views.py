"""Pages of register admins for peers: list and add, confirm the fingerprint, pause, resume, remove."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, url_for

from app.authz import Permission, require, requires
from app.config import current_settings
from app.db import request_session
from app.errors import DomainError
from app.i18n import _, _l
from app.identity.auth import current_actor
from app.peering import peers
from app.peering.forms import ActionForm, ConfirmForm, PeerForm, VouchForm
from app.peering.models import PeerState

bp = Blueprint("peers_admin", __name__, url_prefix="/verwaltung/peers")
CLIENT_FACTORY_KEY = "musterregister.peer_client_factory"
STATE_LABELS = {
    PeerState.PENDING: _l("wartet auf Bestätigung"),
    PeerState.ACTIVE: _l("aktiv"),
    PeerState.PAUSED: _l("pausiert"),
}


def client_factory(app: Flask | None = None) -> peers.ClientFactory:
    """How the register talks to a peer; tests put a fake under ``CLIENT_FACTORY_KEY``."""
    factory = (app or current_app).extensions.get(CLIENT_FACTORY_KEY)
    if factory is not None:
        return factory
    from federation.client import FederationClient

    return FederationClient


@bp.route("", methods=["GET", "POST"])
@requires(Permission.PEERS_MANAGE)
def peer_list():
    database, actor = request_session(), current_actor()
    require(actor, Permission.PEERS_MANAGE)
    form = PeerForm()
    if form.validate_on_submit():
        added = _add(form)
        if added is not None:
            return redirect(url_for("peers_admin.peer_page", name=added))
    rows = peers.list_peers(database, actor)
    counts = peers.refusal_counts(database, [peer.id for peer in rows])
    return render_template(
        "peering/peers.html", peers=rows, counts=counts, form=form, labels=STATE_LABELS
    ), 422 if form.errors else 200


def _add(form: PeerForm) -> str | None:
    database = request_session()
    try:
        peer = peers.add_peer(
            database,
            current_actor(),
            form.name.data,
            form.base_url.data,
            client_factory(),
            own_base_url=current_settings().base_url,
        )
    except DomainError as error:
        database.rollback()
        _form_errors(form, error)
        return None
    database.commit()
    flash(
        _(
            "Die Instanz „%(name)s“ ist eingetragen. Bitte den Fingerabdruck bestätigen; "
            "erst dann wird sie abgeglichen.",
            name=peer.instance_name,
        )
    )
    return peer.name


def _form_errors(form: Any, error: DomainError) -> None:
    fields = (error.errors or {}) if isinstance(error.errors, dict) else {}
    placed = False
    for name, messages in fields.items():
        if name in form._fields:
            form[name].errors = [*form[name].errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(error.detail)


@bp.route("/<string:name>")
@requires(Permission.PEERS_MANAGE)
def peer_page(name: str):
    return _render_peer(name)


def _render_peer(name: str, confirm_form: ConfirmForm | None = None, status: int = 200) -> Any:
    database = request_session()
    peer = peers.get_peer(database, current_actor(), name)
    return render_template(
        "peering/peer.html",
        peer=peer,
        labels=STATE_LABELS,
        confirm_form=confirm_form or ConfirmForm(),
        vouch_form=VouchForm(accept=peer.accept_vouched),
        action_form=ActionForm(),
        refusals=peers.recent_refusals(database, peer),
        refusal_count=peers.refusal_counts(database, [peer.id]).get(peer.id, 0),
    ), status


@bp.route("/<string:name>/bestaetigen", methods=["POST"])
@requires(Permission.PEERS_MANAGE)
def confirm(name: str):
    database, actor = request_session(), current_actor()
    peer = peers.get_peer(database, actor, name)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_peer(name, form, 422)
    try:
        peers.confirm_peer(database, actor, peer, form.fingerprint.data)
    except DomainError as error:
        database.rollback()
        _form_errors(form, error)
        return _render_peer(name, form, error.status)
    database.commit()
    flash(_("Der Fingerabdruck ist bestätigt; die Instanz wird ab jetzt abgeglichen."))
    return redirect(url_for("peers_admin.peer_page", name=name))


@bp.route("/<string:name>/vermittelt", methods=["POST"])
@requires(Permission.PEERS_MANAGE)
def vouching(name: str):
    database, actor = request_session(), current_actor()
    peer = peers.get_peer(database, actor, name)
    form = VouchForm()
    if form.validate_on_submit():
        peers.set_accept_vouched(database, actor, peer, bool(form.accept.data))
        database.commit()
        flash(_("Die Einstellung zu weitergegebenen Inhalten ist gespeichert."))
    return redirect(url_for("peers_admin.peer_page", name=name))


@bp.route("/<string:name>/pausieren", methods=["POST"])
@requires(Permission.PEERS_MANAGE)
def pause(name: str):
    return _act(name, peers.pause_peer, _("Der Abgleich mit dieser Instanz ruht."))


@bp.route("/<string:name>/fortsetzen", methods=["POST"])
@requires(Permission.PEERS_MANAGE)
def resume(name: str):
    return _act(name, peers.resume_peer, _("Der Abgleich mit dieser Instanz läuft wieder."))


@bp.route("/<string:name>/entfernen", methods=["POST"])
@requires(Permission.PEERS_MANAGE)
def remove(name: str):
    database, actor = request_session(), current_actor()
    peer = peers.get_peer(database, actor, name)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("peers_admin.peer_page", name=name))
    withdrawn = peers.remove_peer(database, actor, peer)
    database.commit()
    flash(
        _(
            "Die Instanz „%(name)s“ ist entfernt; %(withdrawn)s gespiegelte Revisionen sind zurückgezogen.",
            name=name,
            withdrawn=withdrawn,
        )
    )
    return redirect(url_for("peers_admin.peer_list"))


def _act(name: str, action: Any, message: str) -> Any:
    database, actor = request_session(), current_actor()
    peer = peers.get_peer(database, actor, name)
    if ActionForm().validate_on_submit():
        action(database, actor, peer)
        database.commit()
        flash(message)
    return redirect(url_for("peers_admin.peer_page", name=name))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
