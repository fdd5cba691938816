"""Administration pages of register admins: authorities and how their people log in."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for

from app.authz import Permission, requires
from app.db import request_session
from app.i18n import _
from app.identity import login as logins
from app.identity import services
from app.identity.auth import current_actor
from app.identity.forms import (
    AuthorityForm,
    LoginSettingsForm,
    format_role_mapping,
    parse_role_mapping,
)
from app.identity.models import AuthorityKind, AuthorityLogin

bp = Blueprint("admin", __name__, url_prefix="/verwaltung")


@bp.route("/behoerden")
@requires(Permission.AUTHORITY_MANAGE)
def authorities():
    database = request_session()
    services.require_register_admin(current_actor())
    text = (request.args.get("q") or "").strip()[:100] or None
    page = services.list_authorities(database, text=text, page=_page(), page_size=50)
    logins_by_id = services.logins_of(database, [authority.id for authority in page.items])
    return render_template("admin_authorities.html", page=page, query=text, logins=logins_by_id)


@bp.route("/behoerden/neu", methods=["GET", "POST"])
@requires(Permission.AUTHORITY_MANAGE)
def new_authority():
    services.require_register_admin(current_actor())
    form = AuthorityForm()
    if form.validate_on_submit():
        database = request_session()
        authority = services.create_authority(database, current_actor(), _authority_data(form))
        database.commit()
        flash(_("Die Behörde „%(name)s“ ist angelegt.", name=authority.name))
        return redirect(url_for("admin.edit_authority", slug=authority.slug))
    return render_template("admin_authority_new.html", form=form), 422 if form.errors else 200


@bp.route("/behoerden/<string:slug>", methods=["GET", "POST"])
@requires(Permission.AUTHORITY_MANAGE)
def edit_authority(slug: str):
    services.require_register_admin(current_actor())
    database = request_session()
    authority = services.get_authority(database, slug)
    form = AuthorityForm(obj=authority, prefix="behoerde")
    form.slug.render_kw = {"readonly": True}
    if request.method == "GET":
        form.kind.data, form.state.data = authority.kind.value, authority.state or ""
    elif form.validate_on_submit():
        form.slug.data = authority.slug  # the slug is part of addresses and stays
        services.update_authority(
            database, current_actor(), authority, _authority_data(form, authority.is_register)
        )
        database.commit()
        flash(_("Die Angaben zur Behörde sind gespeichert."))
        return redirect(url_for("admin.edit_authority", slug=slug))
    login_form = _login_form(database.get(AuthorityLogin, authority.id))
    status = 422 if form.errors else 200
    return render_template(
        "admin_authority.html", authority=authority, form=form, login_form=login_form
    ), status


@bp.route("/behoerden/<string:slug>/anmeldung", methods=["POST"])
@requires(Permission.AUTHORITY_MANAGE)
def edit_login(slug: str):
    services.require_register_admin(current_actor())
    database = request_session()
    authority = services.get_authority(database, slug)
    login_form = LoginSettingsForm(prefix="anmeldung")
    if login_form.validate_on_submit():
        logins.set_authority_login(
            database, current_actor(), authority, _login_settings(login_form)
        )
        database.commit()
        flash(_("Die Anmeldeeinstellungen sind gespeichert."))
        return redirect(url_for("admin.edit_authority", slug=slug))
    form = AuthorityForm(obj=authority, prefix="behoerde", formdata=None)
    return render_template(
        "admin_authority.html", authority=authority, form=form, login_form=login_form
    ), 422


def _login_form(login: AuthorityLogin | None) -> LoginSettingsForm:
    form = LoginSettingsForm(prefix="anmeldung", obj=login)
    if login is not None and request.method == "GET":
        form.role_mapping.data = format_role_mapping(login.role_mapping)
    return form


def _login_settings(form: LoginSettingsForm) -> logins.LoginSettings:
    return logins.LoginSettings(
        issuer=form.issuer.data.strip(),
        client_id=form.client_id.data.strip(),
        client_secret_ref=(form.client_secret_ref.data or "").strip() or None,
        scopes=" ".join(form.scopes.data.split()),
        roles_claim=(form.roles_claim.data or "").strip() or None,
        role_mapping=parse_role_mapping(form.role_mapping.data),
        tenant_claim=(form.tenant_claim.data or "").strip() or None,
        tenant_value=(form.tenant_value.data or "").strip() or None,
        enabled=form.enabled.data,
    )


def _authority_data(form: AuthorityForm, is_register: bool = False) -> services.AuthorityData:
    return services.AuthorityData(
        slug=form.slug.data,
        name=form.name.data.strip(),
        kind=AuthorityKind(form.kind.data),
        state=form.state.data or None,
        ars=form.ars.data or None,
        website=form.website.data or None,
        is_register=is_register,
    )


def _page() -> int:
    page = request.args.get("seite", "1")
    return int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
