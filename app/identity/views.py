"""Pages for logging in and out, the own account and its API tokens."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.orm import Session

from app.authz import Permission, TokenScope, public, requires
from app.config import current_settings
from app.db import get_database, release_request_session, request_session, utcnow
from app.errors import NotFound
from app.i18n import _
from app.identity import login as logins
from app.identity import oidc, services
from app.identity.auth import current_actor
from app.identity.forms import ConfirmForm, TokenForm
from app.identity.models import ApiToken, Authority
from app.identity.sessions import AUTHENTICATED_AT

bp = Blueprint("identity", __name__)
PENDING = "pending_login"
NEXT = "next_url"


def directory() -> oidc.ProviderDirectory:
    return current_app.extensions["musterregister.oidc"]


def redirect_uri() -> str:
    return current_settings().base_url.rstrip("/") + url_for("identity.login_return")


def safe_next(target: str | None) -> str | None:
    """Only paths on this site, never another host (open redirect)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or urlsplit(target).netloc
    ):
        return None
    return target


# --- logging in --------------------------------------------------------------------------------


@bp.route("/anmelden")
@public
def login_page():
    text = (request.args.get("q") or "").strip()[:100] or None
    authorities = logins.authorities_with_login(
        request_session(), demo_mode=current_settings().demo, text=text
    )
    return render_template(
        "login.html",
        authorities=authorities,
        query=text,
        next_url=safe_next(request.args.get("next")),
    )


@bp.route("/anmelden/<string:slug>")
@public
def login_start(slug: str):
    database = request_session()
    authority = services.get_authority(database, slug)
    login = logins.get_login(database, authority, demo_mode=current_settings().demo)
    try:
        url, pending = oidc.start_login(
            directory(), logins.client_config(login, redirect_uri()), str(authority.id)
        )
    except oidc.LoginRefused as refusal:
        return _refused(authority.id, refusal)
    session[PENDING] = pending.to_dict()
    session[NEXT] = safe_next(request.args.get("next"))
    return redirect(url)


@bp.route("/anmelden/rueckkehr")
@public
def login_return():
    """The provider sends the person back here. A GET that writes: in a transaction of its own."""
    pending_data, next_url = session.pop(PENDING, None), session.pop(NEXT, None)
    if not pending_data:
        return _refused(
            None,
            oidc.LoginRefused(
                "state", oidc.N_("Zu dieser Rückmeldung gibt es keine begonnene Anmeldung.")
            ),
        )
    pending = oidc.PendingLogin.from_dict(pending_data)
    try:
        with get_database().transaction() as database:
            account_id, verified = _complete_login(
                database, uuid.UUID(pending.authority_id), pending
            )
    except oidc.LoginRefused as refusal:
        return _refused(uuid.UUID(pending.authority_id), refusal)
    _begin_session(account_id, verified)
    return redirect(next_url or url_for("identity.account_page"))


def _complete_login(
    database: Session, authority_id: uuid.UUID, pending: oidc.PendingLogin
) -> tuple[str, oidc.VerifiedLogin]:
    authority = services.get_authority(database, authority_id)
    login = logins.get_login(database, authority, demo_mode=current_settings().demo)
    client = logins.client_config(login, redirect_uri())
    verified = oidc.finish_login(directory(), client, pending, request.args.to_dict())
    account = logins.account_for_login(database, authority, login, verified)
    logins.record_login(database, account)
    return str(account.id), verified


def _begin_session(account_id: str, verified: oidc.VerifiedLogin) -> None:
    session.clear()
    session.regenerate()  # type: ignore[attr-defined]
    session["account_id"] = account_id
    session[AUTHENTICATED_AT] = utcnow().isoformat()
    session["issuer"] = verified.issuer
    session["id_token"] = verified.id_token


def _refused(authority_id: uuid.UUID | None, refusal: oidc.LoginRefused) -> tuple[str, int]:
    release_request_session()
    with get_database().transaction() as database:
        authority = database.get(Authority, authority_id) if authority_id else None
        logins.record_refused_login(database, authority, refusal)
        name = authority.name if authority else None
    session.clear()
    status = 502 if refusal.code in {"provider-unreachable", "provider-metadata"} else 403
    page = render_template("login_refused.html", refusal=refusal.shown(), authority_name=name)
    return page, status


# --- logging out -------------------------------------------------------------------------------


@bp.route("/abmelden", methods=["POST"])
@public
def logout():
    issuer, id_token = session.get("issuer"), session.get("id_token")
    session.clear()
    done = current_settings().base_url.rstrip("/") + url_for("identity.logged_out")
    end_session = _provider_logout_url(issuer, id_token, done)
    return redirect(end_session or url_for("identity.logged_out"))


def _provider_logout_url(issuer: str | None, id_token: str | None, done: str) -> str | None:
    if not issuer or not id_token:
        return None
    try:
        endpoint = directory().metadata(issuer).get("end_session_endpoint")
    except oidc.LoginRefused:
        return None
    if not endpoint:
        return None
    return f"{endpoint}?{urlencode({'id_token_hint': id_token, 'post_logout_redirect_uri': done})}"


@bp.route("/abgemeldet")
@public
def logged_out():
    return render_template("logged_out.html")


# --- the own account and its tokens ------------------------------------------------------------


def _own_account():
    actor = current_actor()
    return services.find_account(request_session(), str(actor.account_id))


@bp.route("/konto")
@requires(Permission.ACCOUNT_VIEW)
def account_page():
    account = _own_account()
    return render_template("account.html", account=account, logout_form=ConfirmForm())


@bp.route("/konto/tokens", methods=["GET", "POST"])
@requires(Permission.TOKEN_MANAGE)
def tokens_page():
    database, actor = request_session(), current_actor()
    account = _own_account()
    form, created = TokenForm(), None
    if form.validate_on_submit():
        scopes = [TokenScope(value) for value in form.scopes.data]
        _token, created = services.create_token(
            database, actor, account, name=form.name.data, scopes=scopes, days=form.days.data
        )
        database.commit()
        form = TokenForm(formdata=None)
    status = 422 if form.errors else 200
    tokens = services.list_tokens(database, actor, account)
    return render_template(
        "tokens.html",
        form=form,
        tokens=tokens,
        created=created,
        revoke_form=ConfirmForm(),
        now=utcnow(),
    ), status


@bp.route("/konto/tokens/<uuid:token_id>/widerrufen", methods=["POST"])
@requires(Permission.TOKEN_MANAGE)
def revoke_token(token_id: uuid.UUID):
    database = request_session()
    token = database.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("Dieses Token gibt es nicht."))
    services.revoke_token(database, current_actor(), token)
    database.commit()
    return redirect(url_for("identity.tokens_page"))


def init_app(app: Flask) -> None:
    app.extensions["musterregister.oidc"] = oidc.ProviderDirectory()
    app.register_blueprint(bp)
