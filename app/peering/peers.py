"""Peers: the instances this register pulls from, and what register admins do with them.

A peer is added by its base URL: the register fetches ``GET /federation/v1/instance`` and pins the
keys it finds there, but the peer stays *pending* until an operator types (or confirms) the key
fingerprint they got from the peer's operator on another channel – no silent trust on first use.
Only active peers are synced. When a peer's keys change, it falls back to pending with a clear
message and needs the new fingerprint confirmed again.

Removing a peer keeps its mirrors' rows (local forks point at them) but withdraws every published
mirror whose origin is the peer, so they disappear from lists and search.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.audit.services import record
from app.authz import Actor, Permission, require
from app.db import utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.i18n import _
from app.library.models import Revision, RevisionStatus
from app.peering.models import Peer, PeerState, Refusal

SUPPORTED_PROTOCOL_VERSIONS = frozenset({"1"})
NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
KEYS_CHANGED = (
    "Die Instanz zeigt andere Schlüssel als die bestätigten. Bitte den neuen Fingerabdruck beim "
    "Betrieb der Instanz erfragen und erneut bestätigen; bis dahin ruht der Abgleich."
)


class InstanceClient(Protocol):
    def instance(self) -> dict[str, Any]: ...


ClientFactory = Callable[[str], InstanceClient]


# --- reading -----------------------------------------------------------------------------------


def list_peers(session: Session, actor: Actor) -> list[Peer]:
    require(actor, Permission.PEERS_MANAGE)
    return list(session.scalars(select(Peer).order_by(Peer.name)))


def get_peer(session: Session, actor: Actor, name: str) -> Peer:
    require(actor, Permission.PEERS_MANAGE)
    peer = session.scalar(select(Peer).where(Peer.name == name))
    if peer is None:
        raise NotFound(_("Eine Partnerinstanz „%(name)s“ gibt es nicht.", name=name))
    return peer


def active_peers(session: Session, name: str | None = None) -> list[Peer]:
    """The peers a sync pulls from (all active ones, or the one named)."""
    query = select(Peer).where(Peer.state == PeerState.ACTIVE).order_by(Peer.name)
    if name is not None:
        query = query.where(Peer.name == name)
    return list(session.scalars(query))


def refusal_counts(session: Session, peer_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not peer_ids:
        return {}
    rows = session.execute(
        select(Refusal.peer_id, func.count(Refusal.id))
        .where(Refusal.peer_id.in_(peer_ids))
        .group_by(Refusal.peer_id)
    )
    return {peer_id: count for peer_id, count in rows}


def recent_refusals(session: Session, peer: Peer, limit: int = 20) -> list[Refusal]:
    return list(
        session.scalars(
            select(Refusal)
            .where(Refusal.peer_id == peer.id)
            .order_by(Refusal.created_at.desc(), Refusal.seq.desc())
            .limit(limit)
        )
    )


def origin_name(session: Session, origin: str | None) -> str | None:
    """How an origin instance is called: its peer's instance name, a vouched name, or its URL."""
    if origin is None:
        return None
    peer = session.scalar(select(Peer).where(Peer.base_url == origin))
    if peer is not None:
        return peer.instance_name
    for peer in session.scalars(select(Peer).order_by(Peer.name)):
        for vouched in peer.vouched or ():
            if vouched.get("base_url") == origin and vouched.get("name"):
                return str(vouched["name"])
    return origin


# --- adding and confirming ---------------------------------------------------------------------


def normalise_url(raw: str) -> str:
    """``https://host[:port][/path]`` without a trailing slash, or a 422."""
    url = (raw or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _invalid("base_url", _("Bitte eine Adresse mit http:// oder https:// angeben."))
    if parts.query or parts.fragment or parts.username or parts.password:
        raise _invalid(
            "base_url", _("Die Adresse darf keine Anmeldedaten, Abfrage oder Anker haben.")
        )
    return url


def add_peer(
    session: Session,
    actor: Actor,
    name: str,
    base_url: str,
    client_factory: ClientFactory,
    *,
    own_base_url: str,
) -> Peer:
    """Fetch the instance document of ``base_url`` and keep the peer as pending."""
    require(actor, Permission.PEERS_MANAGE)
    name, url = _check_name(name), normalise_url(base_url)
    if url == normalise_url(own_base_url):
        raise _invalid("base_url", _("Das ist die Adresse dieser Instanz selbst."))
    info = _fetch_instance(client_factory, url)  # before any query: no lock held while waiting
    _check_instance(info, url)
    jwks = _public_jwks(info.get("jwks"))
    _ensure_new(session, name, url)
    peer = Peer(
        name=name,
        base_url=url,
        instance_name=str(info["name"])[:200],
        protocol_version=str(info["protocol_version"]),
        jwks=jwks,
        fingerprint=_fingerprint(jwks),
        state=PeerState.PENDING,
        accept_vouched=False,
        vouched=vouches_of(info),
        cursor=0,
    )
    session.add(peer)
    session.flush()
    _audit(session, actor, "peer.added", peer, after=snapshot(peer))
    return peer


def confirm_peer(session: Session, actor: Actor, peer: Peer, fingerprint_typed: str) -> Peer:
    """Trust the pinned keys, but only when the operator typed exactly their fingerprint."""
    require(actor, Permission.PEERS_MANAGE)
    if _compact(fingerprint_typed) != _compact(peer.fingerprint):
        raise _invalid(
            "fingerprint",
            _(
                "Der Fingerabdruck stimmt nicht mit den Schlüsseln der Instanz überein. Bitte beim "
                "Betrieb der Instanz nachfragen; nichts wurde bestätigt."
            ),
        )
    before = snapshot(peer)
    peer.state, peer.last_error, peer.last_error_at = PeerState.ACTIVE, None, None
    peer.confirmed_at, peer.confirmed_by_name = utcnow(), actor.name
    _audit(session, actor, "peer.confirmed", peer, before=before, after=snapshot(peer))
    return peer


def set_accept_vouched(session: Session, actor: Actor, peer: Peer, accept: bool) -> Peer:
    """Whether content of instances the peer vouches for (relayed by it) is accepted."""
    require(actor, Permission.PEERS_MANAGE)
    if peer.accept_vouched != accept:
        before = snapshot(peer)
        peer.accept_vouched = accept
        _audit(session, actor, "peer.vouching_changed", peer, before=before, after=snapshot(peer))
    return peer


def pause_peer(session: Session, actor: Actor, peer: Peer) -> Peer:
    require(actor, Permission.PEERS_MANAGE)
    if peer.state is not PeerState.ACTIVE:
        raise Conflict(_("Nur eine aktive Partnerinstanz lässt sich pausieren."))
    return _set_state(session, actor, peer, PeerState.PAUSED, "peer.paused")


def resume_peer(session: Session, actor: Actor, peer: Peer) -> Peer:
    require(actor, Permission.PEERS_MANAGE)
    if peer.state is not PeerState.PAUSED:
        raise Conflict(
            _(
                "Nur eine pausierte Partnerinstanz lässt sich fortsetzen; eine neue muss zuerst "
                "ihren Fingerabdruck bestätigt bekommen."
            )
        )
    return _set_state(session, actor, peer, PeerState.ACTIVE, "peer.resumed")


def remove_peer(session: Session, actor: Actor, peer: Peer) -> int:
    """Forget the peer and withdraw its published mirrors; returns how many were withdrawn."""
    require(actor, Permission.PEERS_MANAGE)
    withdrawn = withdraw_mirrors(session, peer.base_url)
    _audit(
        session,
        actor,
        "peer.removed",
        peer,
        before=snapshot(peer),
        details={"withdrawn": withdrawn},
    )
    session.execute(delete(Refusal).where(Refusal.peer_id == peer.id))
    session.delete(peer)
    session.flush()
    return withdrawn


def withdraw_mirrors(session: Session, origin: str) -> int:
    """Published mirrors of ``origin`` become withdrawn (through the ORM, so search follows)."""
    revisions = session.scalars(
        select(Revision).where(
            Revision.origin_instance == origin, Revision.status == RevisionStatus.PUBLISHED
        )
    ).all()
    for revision in revisions:
        revision.status = RevisionStatus.WITHDRAWN
    session.flush()
    return len(revisions)


# --- keys changing -----------------------------------------------------------------------------


def refresh_instance(session: Session, actor: Actor, peer: Peer, info: Mapping[str, Any]) -> bool:
    """Compare a freshly fetched instance document with what is pinned; returns whether the peer
    may be synced. Changed keys put it back to pending (its new keys wait for confirmation)."""
    _check_instance(info, peer.base_url)
    peer.vouched = vouches_of(info)
    jwks = _public_jwks(info.get("jwks"))
    fingerprint = _fingerprint(jwks)
    if fingerprint == peer.fingerprint:
        return True
    before = snapshot(peer)
    peer.jwks, peer.fingerprint, peer.state = jwks, fingerprint, PeerState.PENDING
    peer.last_error, peer.last_error_at = KEYS_CHANGED, utcnow()
    _audit(session, actor, "peer.keys_changed", peer, before=before, after=snapshot(peer))
    return False


def vouches_of(info: Mapping[str, Any]) -> list[dict[str, object]]:
    """The well-formed entries of an instance document's ``vouches`` (bad ones are dropped)."""
    vouches = info.get("vouches") or []
    entries = []
    for vouch in vouches if isinstance(vouches, list) else []:
        if not isinstance(vouch, dict) or not isinstance(vouch.get("base_url"), str):
            continue
        jwks = _valid_jwks(vouch.get("jwks"))
        if jwks is not None:
            url, name = vouch["base_url"].rstrip("/"), str(vouch.get("name") or "")[:200]
            entries.append({"base_url": url, "name": name, "jwks": jwks})
    return entries


# --- helpers -----------------------------------------------------------------------------------


def snapshot(peer: Peer) -> dict[str, object]:
    return {
        "name": peer.name,
        "base_url": peer.base_url,
        "instance_name": peer.instance_name,
        "state": PeerState(peer.state).value,
        "fingerprint": peer.fingerprint,
        "accept_vouched": peer.accept_vouched,
    }


def _set_state(session: Session, actor: Actor, peer: Peer, state: PeerState, action: str) -> Peer:
    before = snapshot(peer)
    peer.state = state
    _audit(session, actor, action, peer, before=before, after=snapshot(peer))
    return peer


def _audit(session: Session, actor: Actor, action: str, peer: Peer, **changes: Any) -> None:
    record(session, actor, action, object_type="peer", object_id=peer.id, **changes)


def _check_name(name: str) -> str:
    name = (name or "").strip().lower()
    if not NAME_PATTERN.match(name):
        raise _invalid(
            "name",
            _("Kurzname: 1 bis 40 Kleinbuchstaben, Ziffern oder Bindestriche, z. B. „sachsen“."),
        )
    return name


def _ensure_new(session: Session, name: str, url: str) -> None:
    existing = session.scalar(select(Peer).where((Peer.name == name) | (Peer.base_url == url)))
    if existing is not None:
        raise Conflict(
            _(
                "Diese Partnerinstanz gibt es schon: „%(name)s“ (%(base_url)s).",
                name=existing.name,
                base_url=existing.base_url,
            )
        )


def _fetch_instance(client_factory: ClientFactory, url: str) -> dict[str, Any]:
    from federation.errors import FederationError

    try:
        info = client_factory(url).instance()
    except (FederationError, ValueError) as error:
        raise _invalid(
            "base_url",
            _(
                "Die Instanz unter %(url)s antwortet nicht wie erwartet: %(error)s",
                url=url,
                error=error,
            ),
        ) from None
    if not isinstance(info, dict):
        raise _invalid(
            "base_url", _("Die Instanz unter %(url)s liefert keine Selbstauskunft.", url=url)
        )
    return info


def _check_instance(info: Mapping[str, Any], url: str) -> None:
    version = str(info.get("protocol_version"))
    if version not in SUPPORTED_PROTOCOL_VERSIONS:
        supported = ", ".join(sorted(SUPPORTED_PROTOCOL_VERSIONS))
        raise _invalid(
            "base_url",
            _(
                "Die Instanz spricht Protokollversion %(version)s; unterstützt wird %(supported)s.",
                version=version,
                supported=supported,
            ),
        )
    if not isinstance(info.get("name"), str) or not info["name"].strip():
        raise _invalid("base_url", _("Die Selbstauskunft der Instanz nennt keinen Namen."))
    reported = str(info.get("base_url") or "").rstrip("/")
    if reported != url:
        raise _invalid(
            "base_url",
            _(
                "Die Instanz nennt sich %(reported)s, nicht %(url)s. Bitte die "
                "Adresse verwenden, unter der sie ihre Inhalte signiert.",
                reported=reported or _("(ohne Adresse)"),
                url=url,
            ),
        )


def _valid_jwks(value: object) -> dict[str, Any] | None:
    from federation.errors import InvalidKey
    from federation.keys import public_jwks

    try:
        return public_jwks(value)
    except InvalidKey:
        return None


def _fingerprint(jwks: dict[str, Any]) -> str:
    from federation.keys import fingerprint

    return fingerprint(jwks)


def _public_jwks(jwks: object) -> dict[str, Any]:
    """Only well-formed Ed25519 public keys whose kid is their thumbprint (a 422 otherwise)."""
    from federation.errors import InvalidKey
    from federation.keys import public_jwks

    try:
        return public_jwks(jwks)
    except InvalidKey as error:  # a malformed key is the peer's fault, never a 500
        raise _invalid(
            "base_url", _("Die Schlüssel der Instanz sind unbrauchbar: %(error)s", error=error)
        ) from None


def _compact(fingerprint: str) -> str:
    return "".join((fingerprint or "").split()).lower()


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]})
