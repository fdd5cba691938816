"""Forms of the peers pages (WTForms via Flask-WTF, with CSRF tokens)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from app.i18n import _l


class PeerForm(FlaskForm):
    name = StringField(
        _l("Kurzname"),
        validators=[DataRequired(_l("Bitte einen Kurznamen angeben.")), Length(max=40)],
    )
    base_url = StringField(
        _l("Adresse der Instanz"),
        validators=[DataRequired(_l("Bitte die Adresse angeben.")), Length(max=300)],
    )


class ConfirmForm(FlaskForm):
    fingerprint = StringField(
        _l("Fingerabdruck, wie ihn der Betrieb der Instanz genannt hat"),
        validators=[DataRequired(_l("Bitte den Fingerabdruck eingeben.")), Length(max=200)],
    )
    checked = BooleanField(
        _l(
            "Ich habe den Fingerabdruck auf einem zweiten Weg (Telefon, Brief, bekannte Webseite) "
            "mit dem Betrieb der Instanz abgeglichen."
        ),
        validators=[InputRequired(_l("Bitte den Abgleich bestätigen."))],
    )


class VouchForm(FlaskForm):
    accept = BooleanField(
        _l("Inhalte von Instanzen übernehmen, für die diese Instanz bürgt (Weitergabe A → B → C)")
    )


class ActionForm(FlaskForm):
    """Only the CSRF token: pause, resume, remove."""
