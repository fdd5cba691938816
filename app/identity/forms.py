"""Forms of the account and administration pages (WTForms via Flask-WTF, with CSRF tokens)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.authz import TokenScope
from app.i18n import _l, _lp
from app.identity.models import GERMAN_STATES, AuthorityKind
from app.identity.services import MAX_TOKEN_DAYS

SCOPE_LABELS = {
    TokenScope.CATALOG_WRITE: _l("Steckbriefe anlegen und ändern (catalog:write)"),
    TokenScope.LIBRARY_WRITE: _l(
        "Prozessmodelle und Revisionen hochladen und einreichen (library:write)"
    ),
    TokenScope.REVIEW_WRITE: _l(
        "Einreichungen anderer Behörden prüfen und entscheiden, kommentieren (review:write)"
    ),
}
KIND_LABELS = {
    AuthorityKind.GEMEINDE: _l("Gemeinde / Stadt"),
    AuthorityKind.KREIS: _l("Kreis"),
    AuthorityKind.LAND: _lp("Behördenart", "Land"),
    AuthorityKind.BUND: _l("Bund"),
    AuthorityKind.SONSTIGE: _l("Sonstige"),
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(FlaskForm):
    name = StringField(
        _l("Wofür ist das Token?"),
        validators=[DataRequired(_l("Bitte einen Namen angeben.")), Length(max=100)],
    )
    scopes = CheckboxesField(
        _l("Geltungsbereiche"),
        choices=[SelectChoice(scope.value, label) for scope, label in SCOPE_LABELS.items()],
        validators=[DataRequired(_l("Mindestens einen Geltungsbereich wählen."))],
    )
    days = IntegerField(
        _l("Gültig für (Tage)"),
        default=90,
        validators=[
            DataRequired(_l("Bitte eine Laufzeit angeben.")),
            NumberRange(1, MAX_TOKEN_DAYS, _l("1 bis %(max)s Tage.")),
        ],
    )


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token (logout, revoke)."""


class AuthorityForm(FlaskForm):
    slug = StringField(
        _l("Kürzel (in Adressen)"),
        validators=[
            DataRequired(_l("Bitte ein Kürzel angeben.")),
            Regexp(
                r"^[a-z0-9][a-z0-9-]{1,79}$",
                message=_l("Kleinbuchstaben, Ziffern und Bindestriche."),
            ),
        ],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Bitte einen Namen angeben.")), Length(max=200)]
    )
    kind = SelectField(
        _l("Art"), choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]
    )
    state = SelectField(
        _l("Land"),
        choices=[
            SelectChoice("", _l("– keines –")),
            *(
                SelectChoice(code, name)
                for code, name in sorted(GERMAN_STATES.items(), key=lambda item: item[1])
            ),
        ],
    )
    ars = StringField(
        _l("Amtlicher Regionalschlüssel (12 Ziffern)"),
        validators=[Optional(), Regexp(r"^\d{12}$", message=_l("Genau 12 Ziffern."))],
    )
    website = StringField(
        _l("Website"),
        validators=[Optional(), URL(message=_l("Keine gültige Adresse.")), Length(max=300)],
    )


class LoginSettingsForm(FlaskForm):
    issuer = StringField(
        _l("Aussteller (Issuer-URL)"),
        validators=[
            DataRequired(_l("Bitte die Adresse des Anmeldedienstes angeben.")),
            URL(require_tld=False, message=_l("Keine gültige Adresse.")),
        ],
    )
    client_id = StringField(
        _l("Client-ID"),
        validators=[DataRequired(_l("Bitte die Client-ID angeben.")), Length(max=200)],
    )
    client_secret_ref = StringField(
        _l(
            "Client-Geheimnis: Fundort (env:VARIABLE oder file:/pfad; leer für öffentliche Clients)"
        ),
        validators=[
            Optional(),
            Regexp(
                r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$",
                message=_l("env:VARIABLE oder file:/pfad."),
            ),
        ],
    )
    scopes = StringField(
        _l("Scopes"), default="openid profile email", validators=[DataRequired(), Length(max=300)]
    )
    roles_claim = StringField(
        _l("Claim mit den Rollen (z. B. roles oder realm_access.roles)"),
        validators=[Optional(), Length(max=100)],
    )
    role_mapping = TextAreaField(
        _l(
            "Zuordnung: ein Claim-Wert je Zeile, „Wert = Rolle“ (contributor, reviewer, authority-admin)"
        ),
        validators=[Optional(), Length(max=5000)],
    )
    tenant_claim = StringField(
        _l("Claim, der die Behörde kennzeichnet (bei gemeinsamem Anmeldedienst)"),
        validators=[Optional(), Length(max=100)],
    )
    tenant_value = StringField(
        _l("Wert dieses Claims für diese Behörde"), validators=[Optional(), Length(max=200)]
    )
    enabled = BooleanField(_l("Anmeldung eingeschaltet"), default=True)


def parse_role_mapping(text: str | None) -> dict[str, str]:
    """'Beitragende = contributor' per line → {'Beitragende': 'contributor'}."""
    mapping: dict[str, str] = {}
    for line in (text or "").splitlines():
        value, separator, role = line.partition("=")
        if separator and value.strip() and role.strip():
            mapping[value.strip()] = role.strip()
    return mapping


def format_role_mapping(mapping: dict[str, str]) -> str:
    return "\n".join(f"{value} = {role}" for value, role in sorted(mapping.items()))
