"""Register admins change the synonyms of the search: the service and the page."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import insert, select

from app.audit.models import AuditEvent
from app.authz import ANONYMOUS, Actor, ActorKind, system_actor
from app.db import get_database
from app.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from app.identity.models import Authority, Role
from app.search import linguistics
from app.search import synonym_admin as synonyms
from app.search.models import SynonymEntry
from app.search.services import Query, search
from tests.factories import csrf_token, login_as, make_account

ADMIN = Actor(kind=ActorKind.ACCOUNT, name="Ada Admin", roles=frozenset({Role.REGISTER_ADMIN}))
UNKNOWN_WORD = "zzqx"  # four letters: no typo correction, in no document


@pytest.fixture()
def seeded(search_client, search_app):
    """A session on the seed register inside the test's rolled-back transaction (the one
    ``search_client`` opened)."""
    with get_database(search_app).session() as session:
        yield session


def titles(session, runtime, text):
    result = search(session, runtime, ANONYMOUS, Query(text, per_page=50))
    return result.total, [hit.title for hit in result.hits]


def entry(session, term):
    return synonyms.get_synonym(session, ADMIN, term)


def audit_events(session, term):
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "search_synonym", AuditEvent.object_id == term)
        .order_by(AuditEvent.id)
    ).all()


# --- the service -------------------------------------------------------------------------------


def test_the_list_shows_shipped_entries_with_their_origin(seeded):
    listed = synonyms.list_synonyms(seeded, ADMIN)
    assert len(listed) > 300
    perso = next(item for item in listed if item.term == "perso")
    assert perso.replacements == ("personalausweis",)
    assert perso.origin is synonyms.Origin.SHIPPED and perso.can_switch_off
    assert not perso.can_restore and not perso.can_remove
    found = synonyms.list_synonyms(seeded, ADMIN, text="PERSO")
    assert {item.term for item in found} >= {"perso", "ausweis", "id-karte"}
    assert all("perso" in " ".join((i.term, *i.replacements)) for i in found)


def test_an_added_synonym_counts_at_once_and_is_audited(seeded, runtime):
    assert titles(seeded, runtime, UNKNOWN_WORD)[0] == 0
    version = linguistics.state_values(seeded).get(linguistics.SYNONYMS, 0)

    added = synonyms.save_synonym(seeded, ADMIN, f"  {UNKNOWN_WORD.upper()} ", "Hundesteuer")
    assert added.term == UNKNOWN_WORD and added.replacements == ("hundesteuer",)
    assert added.origin is synonyms.Origin.ADDED and added.changed_by == "Ada Admin"
    assert linguistics.state_values(seeded)[linguistics.SYNONYMS] == version + 1
    total, found = titles(seeded, runtime, UNKNOWN_WORD)
    assert total > 0 and "Hundesteuer" in found
    assert linguistics.synonym_entries(seeded)[UNKNOWN_WORD] == ["hundesteuer"]

    [event] = audit_events(seeded, UNKNOWN_WORD)
    assert event.action == "synonym.added" and event.actor_name == "Ada Admin"
    assert event.before is None
    assert event.after == {"replacements": ["hundesteuer"], "origin": "ergänzt"}


def test_changing_a_shipped_entry_keeps_its_spelling_and_records_before_and_after(seeded):
    changed = synonyms.save_synonym(
        seeded, ADMIN, "FUEHRERSCHEIN", "fahrerlaubnis\nfahrerlaubnisbehörde; Fahrerlaubnis"
    )
    assert changed.term == "führerschein"  # the key the shipped entry has
    assert changed.replacements == ("fahrerlaubnis", "fahrerlaubnisbehörde")
    assert changed.origin is synonyms.Origin.CHANGED and changed.can_restore
    assert seeded.scalars(select(SynonymEntry.term)).all() == ["führerschein"]
    [event] = audit_events(seeded, "führerschein")
    assert event.action == "synonym.changed"
    assert event.before["origin"] == "mitgeliefert"
    assert event.after == {
        "replacements": ["fahrerlaubnis", "fahrerlaubnisbehörde"],
        "origin": "geändert",
    }

    again = synonyms.save_synonym(seeded, ADMIN, "führerschein", changed.shipped)
    assert again.origin is synonyms.Origin.SHIPPED  # the shipped replacements: as shipped
    assert seeded.scalars(select(SynonymEntry)).all() == []


def test_saving_the_same_again_changes_nothing(seeded):
    synonyms.save_synonym(seeded, ADMIN, UNKNOWN_WORD, "hundesteuer")
    version = linguistics.state_values(seeded)[linguistics.SYNONYMS]
    synonyms.save_synonym(seeded, ADMIN, UNKNOWN_WORD, ["Hundesteuer"])
    assert linguistics.state_values(seeded)[linguistics.SYNONYMS] == version
    assert len(audit_events(seeded, UNKNOWN_WORD)) == 1


def test_switching_off_a_shipped_synonym_removes_its_expansion(seeded, runtime):
    before_total, before = titles(seeded, runtime, "perso")
    assert "Personalausweis Statusabfrage" in before

    off = synonyms.switch_off(seeded, ADMIN, "Perso")
    assert off is not None and off.origin is synonyms.Origin.OFF and off.replacements == ()
    assert "perso" not in linguistics.synonym_entries(seeded)
    after_total, after = titles(seeded, runtime, "perso")
    assert after_total < before_total and "Personalausweis Statusabfrage" not in after
    assert audit_events(seeded, "perso")[-1].action == "synonym.switched_off"

    restored = synonyms.restore(seeded, ADMIN, "perso")
    assert restored.origin is synonyms.Origin.SHIPPED
    assert titles(seeded, runtime, "perso")[0] == before_total
    event = audit_events(seeded, "perso")[-1]
    assert event.action == "synonym.restored"
    assert event.before == {"replacements": [], "origin": "abgeschaltet"}
    assert event.after == {"replacements": ["personalausweis"], "origin": "mitgeliefert"}


def test_switching_off_an_added_synonym_removes_it(seeded):
    synonyms.save_synonym(seeded, ADMIN, UNKNOWN_WORD, "hundesteuer")
    assert entry(seeded, UNKNOWN_WORD).can_remove
    assert synonyms.switch_off(seeded, ADMIN, UNKNOWN_WORD) is None
    with pytest.raises(NotFound):
        entry(seeded, UNKNOWN_WORD)
    assert audit_events(seeded, UNKNOWN_WORD)[-1].action == "synonym.removed"


def test_unknown_terms_cannot_be_switched_off_or_restored(seeded):
    with pytest.raises(NotFound):
        synonyms.switch_off(seeded, ADMIN, UNKNOWN_WORD)
    synonyms.save_synonym(seeded, ADMIN, UNKNOWN_WORD, "hundesteuer")
    with pytest.raises(NotFound, match="nicht mitgeliefert"):
        synonyms.restore(seeded, ADMIN, UNKNOWN_WORD)


def test_a_term_someone_else_just_added_is_a_conflict_not_an_error(seeded):
    seeded.execute(insert(SynonymEntry).values(term=UNKNOWN_WORD, replacements="hundesteuer"))
    with pytest.raises(Conflict, match="gerade von jemand anderem gespeichert"):
        synonyms._add(seeded, SynonymEntry(term=UNKNOWN_WORD, replacements="katze"))
    assert entry(seeded, UNKNOWN_WORD).replacements == ("hundesteuer",)  # the session goes on


@pytest.mark.parametrize(
    ("term", "replacements", "field", "message"),
    [
        ("", "hundesteuer", "term", "Bitte einen Begriff angeben."),
        ("   ", "hundesteuer", "term", "Bitte einen Begriff angeben."),
        ("x" * 81, "hundesteuer", "term", "höchstens 80 Zeichen"),
        ("mein hund ist weg jetzt", "hundesteuer", "term", "höchstens 4 Wörtern"),
        ("der die das", "hundesteuer", "term", "Füllwörter"),
        ("?!", "hundesteuer", "term", "Füllwörter"),
        ("wauwau", "", "replacements", "Bitte mindestens eine Ersetzung angeben."),
        ("wauwau", " ; \n ;", "replacements", "Bitte mindestens eine Ersetzung angeben."),
        ("wauwau", ";".join(f"wort{n}" for n in range(21)), "replacements", "Höchstens 20"),
        ("wauwau", "hund; " + "x" * 81, "replacements", "länger als 80 Zeichen"),
        ("wauwau", "hund; ...", "replacements", "„...“ enthält kein Wort"),
        ("wauwau", "hund; WAUWAU", "replacements", "„wauwau“ ist der Begriff selbst."),
    ],
)
def test_invalid_entries_are_refused_with_german_messages(
    seeded, term, replacements, field, message
):
    with pytest.raises(ValidationFailed) as refused:
        synonyms.save_synonym(seeded, ADMIN, term, replacements)
    assert any(message in problem for problem in refused.value.errors[field])
    assert seeded.scalars(select(SynonymEntry)).all() == []


def test_the_limits_themselves_are_allowed(seeded):
    saved = synonyms.save_synonym(
        seeded, ADMIN, "ein zwei drei " + "v" * 66, [f"wort{n}" for n in range(19)] + ["w" * 80]
    )
    assert len(saved.term) == 80 and len(saved.replacements) == 20


@pytest.mark.parametrize(
    ("actor", "refusal"),
    [
        (ANONYMOUS, Unauthorized),
        (
            Actor(
                kind=ActorKind.ACCOUNT,
                name="Beitragende",
                authority_id=uuid.uuid4(),
                roles=frozenset({Role.CONTRIBUTOR, Role.REVIEWER, Role.AUTHORITY_ADMIN}),
            ),
            Forbidden,
        ),
    ],
)
def test_only_register_admins_read_or_change_the_synonyms(seeded, actor, refusal):
    with pytest.raises(refusal):
        synonyms.list_synonyms(seeded, actor)
    with pytest.raises(refusal):
        synonyms.save_synonym(seeded, actor, UNKNOWN_WORD, "hundesteuer")
    with pytest.raises(refusal):
        synonyms.switch_off(seeded, actor, "perso")
    with pytest.raises(refusal):
        synonyms.restore(seeded, actor, "perso")
    assert synonyms.list_synonyms(seeded, system_actor())  # the command line may


# --- the page ----------------------------------------------------------------------------------

PAGE = "/verwaltung/synonyme"


def log_in(client, session, *roles):
    authority = session.scalar(
        select(Authority).where(Authority.slug == "musterregister-redaktion")
    )
    account = make_account(session, authority, *roles, name="Ada Admin")
    session.commit()
    login_as(client, account)
    return account


def api_titles(client, text):
    data = client.get("/api/v1/search", query_string={"q": text, "per_page": 50}).get_json()
    return data["total"], [hit["title"] for hit in data["hits"]]


def test_anonymous_visitors_are_sent_to_the_login(search_client):
    response = search_client.get(PAGE)
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]


def test_other_roles_are_refused(search_client, seeded):
    log_in(search_client, seeded, Role.CONTRIBUTOR, Role.AUTHORITY_ADMIN)
    assert search_client.get(PAGE).status_code == 403
    token = csrf_token(search_client, "/konto/tokens")
    for path in (PAGE, f"{PAGE}/abschalten", f"{PAGE}/wiederherstellen"):
        response = search_client.post(
            path, data={"csrf_token": token, "term": "perso", "replacements": "x"}
        )
        assert response.status_code == 403, path
    assert seeded.scalars(select(SynonymEntry)).all() == []


def test_register_admins_see_the_list_with_filters(search_client, seeded):
    log_in(search_client, seeded, Role.REGISTER_ADMIN)
    html = search_client.get(PAGE).get_data(as_text=True)
    assert '<h1 class="kern-heading-large">Synonyme der Suche</h1>' in html
    assert '<th class="kern-table__cell" scope="row">perso</th>' not in html  # page 1: a–…
    assert 'rel="next"' in html and 'aria-current="page">Verwaltung</a>' in html
    filtered = search_client.get(f"{PAGE}?q=perso").get_data(as_text=True)
    assert '<th class="kern-table__cell" scope="row">perso</th>' in filtered
    assert 'Abschalten<span class="kern-sr-only"> „perso“' in filtered
    assert "mitgeliefert" in filtered
    assert 'name="csrf_token"' in filtered
    none = search_client.get(f"{PAGE}?herkunft=ergänzt").get_data(as_text=True)
    assert "0 Einträge (gefiltert)" in none
    prefilled = search_client.get(f"{PAGE}?begriff=Perso").get_data(as_text=True)
    assert 'value="perso"' in prefilled and "\npersonalausweis</textarea>" in prefilled


def test_a_synonym_added_on_the_page_is_searched_at_once(search_client, seeded):
    log_in(search_client, seeded, Role.REGISTER_ADMIN)
    assert api_titles(search_client, UNKNOWN_WORD)[0] == 0
    token = csrf_token(search_client, PAGE)
    response = search_client.post(
        PAGE, data={"csrf_token": token, "term": UNKNOWN_WORD, "replacements": "hundesteuer"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}?q={UNKNOWN_WORD}"
    html = search_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Der Eintrag „{UNKNOWN_WORD}“ ist gespeichert." in html and "ergänzt" in html
    total, found = api_titles(search_client, UNKNOWN_WORD)
    assert total > 0 and "Hundesteuer" in found
    [event] = audit_events(seeded, UNKNOWN_WORD)
    assert event.actor_name == "Ada Admin" and event.actor_account_id is not None


def test_the_page_shows_validation_errors_next_to_the_fields(search_client, seeded):
    log_in(search_client, seeded, Role.REGISTER_ADMIN)
    token = csrf_token(search_client, PAGE)
    response = search_client.post(
        PAGE, data={"csrf_token": token, "term": "", "replacements": "x" * 81}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="term-error" role="alert">Bitte einen Begriff angeben.</p>' in html
    assert "ist länger als 80 Zeichen." in html and 'aria-invalid="true"' in html


def test_every_form_needs_its_csrf_token(search_client, seeded):
    log_in(search_client, seeded, Role.REGISTER_ADMIN)
    for path in (PAGE, f"{PAGE}/abschalten", f"{PAGE}/wiederherstellen"):
        response = search_client.post(path, data={"term": "perso", "replacements": "x"})
        assert response.status_code == 400, path
    assert seeded.scalars(select(SynonymEntry)).all() == []


def test_switching_off_and_restoring_on_the_page(search_client, seeded):
    log_in(search_client, seeded, Role.REGISTER_ADMIN)
    before_total, before = api_titles(search_client, "perso")
    token = csrf_token(search_client, PAGE)
    response = search_client.post(f"{PAGE}/abschalten", data={"csrf_token": token, "term": "perso"})
    assert response.status_code == 302
    html = search_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "„perso“ ist abgeschaltet" in html and "abgeschaltet</span>" in html
    assert 'Wiederherstellen<span class="kern-sr-only"> „perso“' in html
    after_total, after = api_titles(search_client, "perso")
    assert after_total < before_total and "Personalausweis Statusabfrage" not in after

    response = search_client.post(
        f"{PAGE}/wiederherstellen", data={"csrf_token": token, "term": "perso"}
    )
    assert response.status_code == 302
    assert api_titles(search_client, "perso") == (before_total, before)
    unknown = search_client.post(
        f"{PAGE}/abschalten", data={"csrf_token": token, "term": UNKNOWN_WORD}
    )
    assert unknown.status_code == 404
