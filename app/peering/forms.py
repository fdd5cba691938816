"""Forms of the peers pages (WTForms via Flask-WTF, with CSRF tokens)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, InputRequired, Length


class PeerForm(FlaskForm):
    name = StringField(
        "Kurzname",
        validators=[DataRequired("Bitte einen Kurznamen angeben."), Length(max=40)],
    )
    base_url = StringField(
        "Adresse der Instanz",
        validators=[DataRequired("Bitte die Adresse angeben."), Length(max=300)],
    )


class ConfirmForm(FlaskForm):
    fingerprint = StringField(
        "Fingerabdruck, wie ihn der Betrieb der Instanz genannt hat",
        validators=[DataRequired("Bitte den Fingerabdruck eingeben."), Length(max=200)],
    )
    checked = BooleanField(
        "Ich habe den Fingerabdruck auf einem zweiten Weg (Telefon, Brief, bekannte Webseite) "
        "mit dem Betrieb der Instanz abgeglichen.",
        validators=[InputRequired("Bitte den Abgleich bestätigen.")],
    )


class VouchForm(FlaskForm):
    accept = BooleanField(
        "Inhalte von Instanzen übernehmen, für die diese Instanz bürgt (Weitergabe A → B → C)"
    )


class ActionForm(FlaskForm):
    """Only the CSRF token: pause, resume, remove."""
