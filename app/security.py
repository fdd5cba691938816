"""Security headers for every response (flask-talisman) and a German refusal of forged forms.

The policy allows scripts only from this site (no inline script, no ``eval``): every page script is a
static file, and data for a script travels in ``<script type="application/json">`` blocks, which are
not executed. Styles need ``'unsafe-inline'``: bpmn-js/diagram-js and Swagger UI write ``style``
attributes into the markup they generate, and a CSP hash or nonce cannot cover attributes.
``form-action`` stays open because logging out ends with a redirect to the authority's identity
provider, whose address is only known from the database.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError

from app.config import Settings
from app.errors import DomainError, handle_domain_error
from app.i18n import _

SELF = "'self'"
CONTENT_SECURITY_POLICY: dict[str, str | list[str]] = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:"],  # diagram-js and Swagger UI draw icons from data: URIs
    "font-src": SELF,
    "connect-src": SELF,
    "object-src": "'none'",
    "base-uri": SELF,
    "frame-ancestors": "'none'",
}
# Powerful browser features the register never uses; only features Chromium knows, because an
# unknown one is reported as an error in the browser console.
PERMISSIONS_POLICY = {
    "camera": "()",
    "microphone": "()",
    "geolocation": "()",
    "payment": "()",
    "usb": "()",
}
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS_MAX_AGE = 365 * 24 * 3600


class MissingCsrfToken(DomainError):
    status, slug = 400, "csrf"


def refuse_forged_form(_error: CSRFError) -> Response:
    return handle_domain_error(
        MissingCsrfToken(
            _(
                "Das Formular kam ohne gültigen Sicherheitsschlüssel an (CSRF-Schutz). Bitte die "
                "Seite neu laden und das Formular noch einmal absenden."
            )
        )
    )


def serves_https(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")


def init_app(app: Flask, settings: Settings) -> Talisman:
    """Attach the security headers; HSTS only where the instance is reached over HTTPS."""
    https = serves_https(settings)
    app.register_error_handler(CSRFError, refuse_forged_form)
    return Talisman(
        app,
        force_https=False,  # TLS ends at the reverse proxy, which redirects plain HTTP itself
        strict_transport_security=https,
        strict_transport_security_max_age=HSTS_MAX_AGE,
        # subdomains of a municipality's domain are not ours to pin to HTTPS
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy=REFERRER_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        feature_policy={},
        document_policy={},
        session_cookie_secure=https,  # app.identity.sessions sets the cookie flags; keep them
        session_cookie_http_only=True,
        x_content_type_options=True,
        x_xss_protection=False,  # obsolete header; the CSP replaces it
    )
