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
from app.identity.models import GERMAN_STATES, AuthorityKind
from app.identity.services import MAX_TOKEN_DAYS

SCOPE_LABELS = {
    TokenScope.CATALOG_WRITE: "Steckbriefe anlegen und ändern (catalog:write)",
    TokenScope.LIBRARY_WRITE: "Prozessmodelle und Revisionen hochladen und einreichen (library:write)",
    TokenScope.REVIEW_WRITE: "Einreichungen anderer Behörden prüfen und entscheiden, kommentieren (review:write)",
}
KIND_LABELS = {
    AuthorityKind.GEMEINDE: "Gemeinde / Stadt",
    AuthorityKind.KREIS: "Kreis",
    AuthorityKind.LAND: "Land",
    AuthorityKind.BUND: "Bund",
    AuthorityKind.SONSTIGE: "Sonstige",
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(FlaskForm):
    name = StringField(
        "Wofür ist das Token?",
        validators=[DataRequired("Bitte einen Namen angeben."), Length(max=100)],
    )
    scopes = CheckboxesField(
        "Geltungsbereiche",
        choices=[SelectChoice(scope.value, label) for scope, label in SCOPE_LABELS.items()],
        validators=[DataRequired("Mindestens einen Geltungsbereich wählen.")],
    )
    days = IntegerField(
        "Gültig für (Tage)",
        default=90,
        validators=[
            DataRequired("Bitte eine Laufzeit angeben."),
            NumberRange(1, MAX_TOKEN_DAYS, f"1 bis {MAX_TOKEN_DAYS} Tage."),
        ],
    )


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token (logout, revoke)."""


class AuthorityForm(FlaskForm):
    slug = StringField(
        "Kürzel (in Adressen)",
        validators=[
            DataRequired("Bitte ein Kürzel angeben."),
            Regexp(
                r"^[a-z0-9][a-z0-9-]{1,79}$", message="Kleinbuchstaben, Ziffern und Bindestriche."
            ),
        ],
    )
    name = StringField(
        "Name", validators=[DataRequired("Bitte einen Namen angeben."), Length(max=200)]
    )
    kind = SelectField(
        "Art", choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]
    )
    state = SelectField(
        "Land",
        choices=[
            SelectChoice("", "– keines –"),
            *(
                SelectChoice(code, name)
                for code, name in sorted(GERMAN_STATES.items(), key=lambda item: item[1])
            ),
        ],
    )
    ars = StringField(
        "Amtlicher Regionalschlüssel (12 Ziffern)",
        validators=[Optional(), Regexp(r"^\d{12}$", message="Genau 12 Ziffern.")],
    )
    website = StringField(
        "Website", validators=[Optional(), URL(message="Keine gültige Adresse."), Length(max=300)]
    )


class LoginSettingsForm(FlaskForm):
    issuer = StringField(
        "Aussteller (Issuer-URL)",
        validators=[
            DataRequired("Bitte die Adresse des Anmeldedienstes angeben."),
            URL(require_tld=False, message="Keine gültige Adresse."),
        ],
    )
    client_id = StringField(
        "Client-ID", validators=[DataRequired("Bitte die Client-ID angeben."), Length(max=200)]
    )
    client_secret_ref = StringField(
        "Client-Geheimnis: Fundort (env:VARIABLE oder file:/pfad; leer für öffentliche Clients)",
        validators=[
            Optional(),
            Regexp(
                r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$", message="env:VARIABLE oder file:/pfad."
            ),
        ],
    )
    scopes = StringField(
        "Scopes", default="openid profile email", validators=[DataRequired(), Length(max=300)]
    )
    roles_claim = StringField(
        "Claim mit den Rollen (z. B. roles oder realm_access.roles)",
        validators=[Optional(), Length(max=100)],
    )
    role_mapping = TextAreaField(
        "Zuordnung: ein Claim-Wert je Zeile, „Wert = Rolle“ (contributor, reviewer, authority-admin)",
        validators=[Optional(), Length(max=5000)],
    )
    tenant_claim = StringField(
        "Claim, der die Behörde kennzeichnet (bei gemeinsamem Anmeldedienst)",
        validators=[Optional(), Length(max=100)],
    )
    tenant_value = StringField(
        "Wert dieses Claims für diese Behörde", validators=[Optional(), Length(max=200)]
    )
    enabled = BooleanField("Anmeldung eingeschaltet", default=True)


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
