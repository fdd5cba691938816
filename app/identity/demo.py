"""The demo login: seed authorities wired to a local OpenID provider (scripts/oidc-provider.mjs).

Only in demo mode: the provider lists demo people as buttons, so a newcomer logs in as a contributor
or reviewer of Stadt Hamm or Kreis Steinfurt in two clicks. All demo authorities share the one demo
issuer; the ``org`` claim tells them apart, as a state-wide provider's claim would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.authz import Actor
from app.config import Settings
from app.identity import login as logins
from app.identity.models import AuthorityLogin
from app.identity.services import get_authority

PERSONAS_FILE = "demo-personas.json"


def load_personas(seed_dir: Path) -> dict[str, Any]:
    return json.loads((seed_dir / PERSONAS_FILE).read_text(encoding="utf-8"))


def wire_demo_logins(
    session: Session, actor: Actor, seed_dir: Path, issuer: str
) -> list[AuthorityLogin]:
    personas = load_personas(seed_dir)
    wired = []
    for slug in personas["authorities"]:
        authority = get_authority(session, slug)
        mapping = {
            value: role
            for value, role in personas["role_mapping"].items()
            if role != "register-admin" or authority.is_register
        }
        settings = logins.LoginSettings(
            issuer=issuer,
            client_id=personas["client_id"],
            scopes="openid profile email roles",
            roles_claim=personas["roles_claim"],
            role_mapping=mapping,
            tenant_claim=personas["tenant_claim"],
            tenant_value=slug,
            is_demo=True,
        )
        wired.append(logins.set_authority_login(session, actor, authority, settings))
    return wired


def provider_config(settings: Settings) -> dict[str, Any]:
    """The configuration scripts/oidc-provider.mjs reads for the demo provider."""
    personas = load_personas(settings.seed_path)
    base_url = settings.base_url.rstrip("/")
    return {
        "issuer": settings.demo_oidc_issuer,
        "title": "Demo-Anmeldedienst",
        "clients": [
            {
                "client_id": personas["client_id"],
                "client_name": settings.name,
                "token_endpoint_auth_method": "none",
                "redirect_uris": [f"{base_url}/anmelden/rueckkehr"],
                "post_logout_redirect_uris": [f"{base_url}/abgemeldet"],
            }
        ],
        "accounts": [
            {
                "id": person["id"],
                "label": person["label"],
                "claims": {key: person[key] for key in ("name", "email", "org", "roles")},
            }
            for person in personas["people"]
        ],
    }
