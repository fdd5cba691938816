"""Peers: added by URL, trusted only with the typed fingerprint, paused, resumed, removed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.identity.models import Role
from app.library.models import Revision, RevisionStatus
from app.peering import peers, syncing
from app.peering.admin_views import CLIENT_FACTORY_KEY
from app.peering.models import Peer, PeerState
from federation.keys import generate_key
from tests.factories import SYSTEM, csrf_token, login_as, make_account, make_authority
from tests.peering.fake_peer import FakePeer, Scene, bpmn

A_URL = "https://sachsen.example"
OWN_URL = "http://127.0.0.1:5000"


@pytest.fixture()
def fake():
    return FakePeer(A_URL)


def add(session, fake, name="sachsen", url=A_URL):
    return peers.add_peer(session, SYSTEM, name, url, lambda _url: fake, own_base_url=OWN_URL)


def actions(session, peer) -> list[str]:
    rows = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "peer", AuditEvent.object_id == str(peer.id))
        .order_by(AuditEvent.id)
    )
    return list(rows)


# --- services ----------------------------------------------------------------------------------


def test_a_new_peer_waits_for_its_fingerprint(session, fake):
    peer = add(session, fake, url=A_URL + "/")
    assert peer.state is PeerState.PENDING and peer.base_url == A_URL
    assert peer.fingerprint == fake.fingerprint and peer.jwks == fake.jwks
    assert peer.instance_name == "Musterregister Sachsen" and peer.protocol_version == "1"
    with pytest.raises(ValidationFailed, match="stimmt nicht"):
        peers.confirm_peer(session, SYSTEM, peer, "0000 1111")
    assert peer.state is PeerState.PENDING
    peers.confirm_peer(session, SYSTEM, peer, fake.fingerprint.upper().replace(" ", ""))
    assert peer.state is PeerState.ACTIVE and peer.confirmed_by_name == SYSTEM.name
    assert actions(session, peer) == ["peer.added", "peer.confirmed"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://sachsen.example", "http:// oder https://"),
        ("sachsen.example", "http:// oder https://"),
        ("https://user:pw@sachsen.example", "Anmeldedaten"),
        (OWN_URL + "/", "dieser Instanz selbst"),
    ],
)
def test_bad_addresses_are_refused(session, fake, url, message):
    with pytest.raises(ValidationFailed, match=message):
        add(session, fake, url=url)


def test_duplicates_other_versions_and_impostors_are_refused(session, fake):
    add(session, fake)
    with pytest.raises(Conflict, match="gibt es schon"):
        add(session, fake, name="sachsen")
    with pytest.raises(Conflict, match="gibt es schon"):
        add(session, fake, name="anders")
    other = FakePeer("https://bayern.example", version="2")
    with pytest.raises(ValidationFailed, match="Protokollversion 2"):
        add(session, other, name="bayern", url=other.base_url)
    with pytest.raises(ValidationFailed, match="nennt sich"):
        add(session, FakePeer("https://echt.example"), name="bayern", url="https://falsch.example")
    with pytest.raises(ValidationFailed, match="Kurzname"):
        add(session, other, name="Bayern Land!", url=other.base_url)


def test_an_unreachable_instance_is_a_clear_refusal(session, fake):
    fake.down = True
    with pytest.raises(ValidationFailed, match="antwortet nicht"):
        add(session, fake)


def test_only_register_admins_manage_peers(session, fake):
    member = make_account(session, make_authority(session), Role.CONTRIBUTOR, Role.AUTHORITY_ADMIN)
    from app.identity.services import actor_for

    with pytest.raises(Forbidden):
        peers.add_peer(
            session, actor_for(member), "x", A_URL, lambda _u: fake, own_base_url=OWN_URL
        )


def test_pause_resume_and_the_states_they_need(session, fake):
    peer = add(session, fake)
    with pytest.raises(Conflict):
        peers.pause_peer(session, SYSTEM, peer)
    with pytest.raises(Conflict):
        peers.resume_peer(session, SYSTEM, peer)  # pending: only a confirmation activates it
    peers.confirm_peer(session, SYSTEM, peer, fake.fingerprint)
    peers.pause_peer(session, SYSTEM, peer)
    assert peer.state is PeerState.PAUSED
    peers.resume_peer(session, SYSTEM, peer)
    assert peer.state is PeerState.ACTIVE
    assert actions(session, peer)[-2:] == ["peer.paused", "peer.resumed"]


def test_new_keys_need_a_new_confirmation(app, database, session, fake):
    peer = add(session, fake)
    peers.confirm_peer(session, SYSTEM, peer, fake.fingerprint)
    session.commit()
    fake.private, fake.public = generate_key()  # rotated at the peer
    settings = app.extensions["musterregister.settings"]
    (result,) = syncing.sync_all(database, settings, lambda _url: fake)
    assert result.error == peers.KEYS_CHANGED
    session.expire_all()
    peer = session.get(Peer, peer.id)
    assert peer.state is PeerState.PENDING and peer.last_error == peers.KEYS_CHANGED
    assert peer.fingerprint == fake.fingerprint
    assert syncing.sync_all(database, settings, lambda _url: fake) == []  # not synced meanwhile


def test_removing_a_peer_withdraws_its_mirrors(app, database, session, fake):
    peer = add(session, fake)
    peers.confirm_peer(session, SYSTEM, peer, fake.fingerprint)
    session.commit()
    Scene(A_URL).published(fake, 1, bpmn("eins"))
    settings = app.extensions["musterregister.settings"]
    syncing.sync_all(database, settings, lambda _url: fake)
    session.expire_all()
    assert peers.remove_peer(session, SYSTEM, session.get(Peer, peer.id)) == 1
    (revision,) = session.scalars(select(Revision).where(Revision.origin_instance == A_URL))
    assert revision.status is RevisionStatus.WITHDRAWN
    assert session.scalar(select(Peer)) is None


def test_a_sync_reports_an_unreachable_peer(app, database, session, fake):
    peer = add(session, fake)
    peers.confirm_peer(session, SYSTEM, peer, fake.fingerprint)
    session.commit()
    fake.down = True
    settings = app.extensions["musterregister.settings"]
    (result,) = syncing.sync_all(database, settings, lambda _url: fake)
    assert "nicht abrufbar" in result.error
    session.expire_all()
    peer = session.get(Peer, peer.id)
    assert "nicht abrufbar" in peer.last_error and peer.last_attempt_at is not None


# --- pages -------------------------------------------------------------------------------------


@pytest.fixture()
def admin_client(app, client, session, fake, monkeypatch):
    monkeypatch.setitem(app.extensions, CLIENT_FACTORY_KEY, lambda _url: fake)
    login_as(client, make_account(session, make_authority(session), Role.REGISTER_ADMIN))
    session.commit()
    return client


def test_the_pages_add_confirm_pause_and_remove(admin_client, session, fake):
    token = csrf_token(admin_client, "/verwaltung/peers")
    response = admin_client.post(
        "/verwaltung/peers", data={"csrf_token": token, "name": "sachsen", "base_url": A_URL}
    )
    assert response.status_code == 302 and response.location.endswith("/verwaltung/peers/sachsen")
    page = admin_client.get("/verwaltung/peers/sachsen").get_data(as_text=True)
    assert fake.fingerprint in page and "wartet auf Bestätigung" in page
    wrong = admin_client.post(
        "/verwaltung/peers/sachsen/bestaetigen",
        data={"csrf_token": token, "fingerprint": "abcd", "checked": "y"},
    )
    assert wrong.status_code == 422 and "stimmt nicht" in wrong.get_data(as_text=True)
    unticked = admin_client.post(
        "/verwaltung/peers/sachsen/bestaetigen",
        data={"csrf_token": token, "fingerprint": fake.fingerprint},
    )
    assert unticked.status_code == 422
    right = admin_client.post(
        "/verwaltung/peers/sachsen/bestaetigen",
        data={"csrf_token": token, "fingerprint": fake.fingerprint, "checked": "y"},
    )
    assert right.status_code == 302
    listing = admin_client.get("/verwaltung/peers").get_data(as_text=True)
    assert "aktiv" in listing and "Partnerinstanzen" in listing
    admin_client.post("/verwaltung/peers/sachsen/pausieren", data={"csrf_token": token})
    session.expire_all()
    assert session.scalar(select(Peer.state)) is PeerState.PAUSED
    admin_client.post("/verwaltung/peers/sachsen/entfernen", data={"csrf_token": token})
    session.expire_all()
    assert session.scalar(select(Peer)) is None


def test_the_add_form_shows_the_refusal(admin_client, fake):
    token = csrf_token(admin_client, "/verwaltung/peers")
    response = admin_client.post(
        "/verwaltung/peers", data={"csrf_token": token, "name": "ich", "base_url": OWN_URL}
    )
    assert response.status_code == 422
    assert "dieser Instanz selbst" in response.get_data(as_text=True)


def test_others_see_no_peers_page(client, session):
    login_as(client, make_account(session, make_authority(session), Role.CONTRIBUTOR))
    session.commit()
    assert client.get("/verwaltung/peers").status_code == 403
    assert "Partnerinstanzen" not in client.get("/").get_data(as_text=True)


# --- command line ------------------------------------------------------------------------------


def test_the_command_line_adds_confirms_syncs_and_removes(cli, fake, monkeypatch):
    from app.peering import cli as peering_cli

    monkeypatch.setattr(peering_cli, "client_factory", lambda _app: lambda _url: fake)
    output = cli("peers", "add", "sachsen", A_URL)
    assert fake.fingerprint in output and "peers confirm sachsen" in output
    assert "stimmt nicht" in cli("peers", "confirm", "sachsen", "--fingerprint", "00", ok=False)
    assert "wartet auf Bestätigung" in cli("peers")
    cli("peers", "confirm", "sachsen", "--fingerprint", fake.fingerprint)
    Scene(A_URL).published(fake, 1, bpmn("eins"))
    assert "sachsen: 1 übernommen, 0 abgelehnt, Stand 1, Rückstand 0" in cli("federation", "sync")
    assert "Stand 1" in cli("federation", "sync", "--peer", "sachsen")
    assert "aktiv" in cli("peers", "list")
    assert "pausiert" in cli("peers", "pause", "sachsen")
    assert "Keine aktive Partnerinstanz" in cli("federation", "sync")
    assert "fortgesetzt" in cli("peers", "resume", "sachsen")
    assert "1 gespiegelte Revisionen zurückgezogen" in cli("peers", "remove", "sachsen")
    assert "Noch keine" in cli("peers")


def test_vouching_is_the_operators_choice(admin_client, session, fake):
    peer = add(session, fake)
    session.commit()
    token = csrf_token(admin_client, "/verwaltung/peers/sachsen")
    admin_client.post(
        "/verwaltung/peers/sachsen/vermittelt", data={"csrf_token": token, "accept": "y"}
    )
    session.expire_all()
    assert session.get(Peer, peer.id).accept_vouched
    assert actions(session, peer)[-1] == "peer.vouching_changed"


def test_an_origin_is_named_by_its_peer_or_a_vouch(session, fake):
    middle = FakePeer("https://bayern.example", name="Musterregister Bayern")
    middle.vouches = [
        {"base_url": "https://hessen.example", "name": "Register Hessen", "jwks": fake.jwks}
    ]
    middle.pin(session, "bayern")
    assert peers.origin_name(session, "https://bayern.example") == "Musterregister Bayern"
    assert peers.origin_name(session, "https://hessen.example") == "Register Hessen"
    assert peers.origin_name(session, "https://anders.example") == "https://anders.example"
    assert peers.origin_name(session, None) is None


def test_only_active_peers_are_synced_by_name(app, database, fake):
    settings = app.extensions["musterregister.settings"]
    with pytest.raises(NotFound):
        syncing.sync_all(database, settings, lambda _url: fake, name="niemand")


def test_the_command_line_sets_vouching_and_watches(cli, fake, monkeypatch):
    from app.peering import cli as peering_cli

    monkeypatch.setattr(peering_cli, "client_factory", lambda _app: lambda _url: fake)
    cli("peers", "add", "sachsen", A_URL)
    assert "angenommen" in cli("peers", "vouched", "sachsen", "--accept")
    cli("peers", "confirm", "sachsen", "--fingerprint", fake.fingerprint)

    def stop(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(peering_cli.time, "sleep", stop)
    assert "sachsen: 0 übernommen" in cli("federation", "sync", "--watch", "--interval", "1")
    fake.down = True
    assert "nicht abrufbar" in cli("federation", "sync", ok=False)
    assert "gibt es nicht" in cli("federation", "sync", "--peer", "niemand", ok=False)
