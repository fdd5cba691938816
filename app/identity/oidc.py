"""OpenID Connect relying party: Authorization Code flow with PKCE, checked step by step.

Authlib builds the requests (``OAuth2Session``: PKCE S256, token exchange) and validates the ID
token's claims (``CodeIDToken``); joserfc verifies its signature against the provider's JWKS. What
Authlib leaves to the caller is done here explicitly: the RFC 9207 ``iss`` response parameter
(mix-up attacks), the issuer in the discovery document, a JWKS refresh on an unknown key id, and the
``sub`` of the UserInfo response against the ID token's. Every refusal is a :class:`LoginRefused`
with a stable code and a German message. No Flask in here.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from app.i18n import _

HTTP_TIMEOUT_SECONDS = 5
METADATA_TTL_SECONDS = 600
JWKS_REFRESH_MIN_SECONDS = 30
LOGIN_MAX_AGE_SECONDS = 600
CLOCK_LEEWAY_SECONDS = 60


def N_(text: str) -> str:
    """Mark ``text`` for translation without translating it here: it is translated when shown."""
    return text


class LoginRefused(Exception):
    """A login that must not succeed; ``code`` is for logs and tests, ``message`` for people.

    ``message`` is German, as the audit trail records it; :meth:`shown` is the same refusal in
    the reader's language. ``text`` (marked with ``N_``) takes its values as ``%(name)s``.
    """

    def __init__(self, code: str, text: str, **values: Any) -> None:
        self.code = code
        self.text, self.values = text, values
        self.message = text % values if values else text
        super().__init__(f"{code}: {self.message}")

    def shown(self) -> LoginRefused:
        return LoginRefused(self.code, _(self.text, **self.values))


@dataclass(frozen=True)
class ClientConfig:
    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str
    redirect_uri: str


@dataclass(frozen=True)
class PendingLogin:
    """What the browser session keeps between the redirect to the provider and the return."""

    authority_id: str
    issuer: str
    state: str
    nonce: str
    code_verifier: str
    started_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PendingLogin:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class VerifiedLogin:
    issuer: str
    subject: str
    claims: dict[str, Any]
    id_token: str


# --- provider metadata and keys ----------------------------------------------------------------


@dataclass
class _CachedProvider:
    metadata: dict[str, Any]
    fetched_at: float
    keys: KeySet | None = None
    keys_fetched_at: float = 0.0


class ProviderDirectory:
    """Discovery documents and key sets of the providers, cached per process."""

    def __init__(self, http: requests.Session | None = None) -> None:
        self._http = http or requests.Session()
        self._providers: dict[str, _CachedProvider] = {}
        self._lock = threading.Lock()

    def metadata(self, issuer: str) -> dict[str, Any]:
        cached = self._providers.get(issuer)
        if cached is None or time.monotonic() - cached.fetched_at > METADATA_TTL_SECONDS:
            cached = _CachedProvider(self._discover(issuer), time.monotonic())
            with self._lock:
                self._providers[issuer] = cached
        return cached.metadata

    def key_set(self, issuer: str, *, refresh: bool = False) -> KeySet:
        cached = self._providers[issuer]
        stale = time.monotonic() - cached.keys_fetched_at > JWKS_REFRESH_MIN_SECONDS
        if cached.keys is None or (refresh and stale):
            cached.keys = KeySet.import_key_set(self._get_json(cached.metadata["jwks_uri"]))
            cached.keys_fetched_at = time.monotonic()
        return cached.keys

    def _discover(self, issuer: str) -> dict[str, Any]:
        metadata = self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if metadata.get("issuer") != issuer:
            raise LoginRefused(
                "issuer-mismatch",
                N_(
                    "Der Anmeldedienst meldet sich als „%(reported)s“, eingerichtet ist „%(issuer)s“."
                ),
                reported=metadata.get("issuer"),
                issuer=issuer,
            )
        for required in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if required not in metadata:
                raise LoginRefused(
                    "provider-metadata", N_("Dem Anmeldedienst fehlt „%(field)s“."), field=required
                )
        return metadata

    def _get_json(self, url: str) -> Any:
        try:
            response = self._http.get(url, timeout=HTTP_TIMEOUT_SECONDS)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError):
            raise LoginRefused(
                "provider-unreachable", N_("Der Anmeldedienst der Behörde ist nicht erreichbar.")
            ) from None


# --- the flow ----------------------------------------------------------------------------------


def _oauth_session(client: ClientConfig) -> OAuth2Session:
    return OAuth2Session(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope=client.scopes,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if client.client_secret else "none",
    )


def start_login(
    directory: ProviderDirectory, client: ClientConfig, authority_id: str
) -> tuple[str, PendingLogin]:
    """The provider's authorization URL, and what must be kept until the person comes back."""
    metadata = directory.metadata(client.issuer)
    pending = PendingLogin(
        authority_id=authority_id,
        issuer=client.issuer,
        state=generate_token(32),
        nonce=generate_token(32),
        code_verifier=generate_token(64),
        started_at=time.time(),
    )
    with _oauth_session(client) as session:
        url, _state = session.create_authorization_url(
            metadata["authorization_endpoint"],
            state=pending.state,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
        )
    return url, pending


def finish_login(
    directory: ProviderDirectory,
    client: ClientConfig,
    pending: PendingLogin,
    response: Mapping[str, str],
) -> VerifiedLogin:
    """Check the provider's response and the tokens; any doubt is a :class:`LoginRefused`."""
    _check_response(directory, pending, response)
    token = _exchange_code(directory, client, pending, response["code"])
    claims = _verified_id_token_claims(directory, client, pending, token)
    claims = {**_userinfo(directory, client.issuer, token, claims["sub"]), **claims}
    return VerifiedLogin(client.issuer, claims["sub"], claims, token["id_token"])


def _check_response(
    directory: ProviderDirectory, pending: PendingLogin, response: Mapping[str, str]
) -> None:
    if "error" in response:
        detail = response.get("error_description") or response["error"]
        raise LoginRefused(
            "provider-error",
            N_("Der Anmeldedienst hat die Anmeldung abgelehnt: %(detail)s"),
            detail=detail,
        )
    if not hmac.compare_digest(response.get("state", ""), pending.state):
        raise LoginRefused(
            "state", N_("Die Rückmeldung des Anmeldedienstes gehört nicht zu dieser Anmeldung.")
        )
    if time.time() - pending.started_at > LOGIN_MAX_AGE_SECONDS:
        raise LoginRefused(
            "expired", N_("Die Anmeldung hat zu lange gedauert. Bitte erneut anmelden.")
        )
    metadata = directory.metadata(pending.issuer)
    returned_issuer = response.get("iss")
    if returned_issuer is not None and returned_issuer != metadata["issuer"]:
        raise LoginRefused(
            "issuer-mixup", N_("Die Rückmeldung stammt von einem anderen Anmeldedienst.")
        )
    if returned_issuer is None and metadata.get("authorization_response_iss_parameter_supported"):
        raise LoginRefused(
            "issuer-missing", N_("Der Rückmeldung fehlt die Angabe des Anmeldedienstes (iss).")
        )
    if not response.get("code"):
        raise LoginRefused("code-missing", N_("Der Rückmeldung fehlt der Autorisierungscode."))


def _exchange_code(
    directory: ProviderDirectory, client: ClientConfig, pending: PendingLogin, code: str
) -> dict[str, Any]:
    metadata = directory.metadata(client.issuer)
    try:
        with _oauth_session(client) as session:
            token = session.fetch_token(
                metadata["token_endpoint"],
                code=code,
                code_verifier=pending.code_verifier,
                timeout=HTTP_TIMEOUT_SECONDS,
            )
    except (AuthlibBaseError, requests.RequestException, ValueError) as error:
        raise LoginRefused(
            "token-exchange",
            N_("Der Anmeldedienst hat den Code nicht eingelöst (%(error)s)."),
            error=type(error).__name__,
        ) from None
    if not token.get("id_token"):
        raise LoginRefused("id-token-missing", N_("Der Anmeldedienst hat kein ID-Token geliefert."))
    return dict(token)


def _decode(directory: ProviderDirectory, issuer: str, id_token: str) -> jwt.Token:
    algorithms = directory.metadata(issuer).get("id_token_signing_alg_values_supported") or [
        "RS256"
    ]
    registry = JWSRegistry(algorithms=[alg for alg in algorithms if alg != "none"])
    try:
        return jwt.decode(id_token, directory.key_set(issuer), registry=registry)
    except InvalidKeyIdError:  # the provider may have rotated its keys
        return jwt.decode(id_token, directory.key_set(issuer, refresh=True), registry=registry)


def _verified_id_token_claims(
    directory: ProviderDirectory,
    client: ClientConfig,
    pending: PendingLogin,
    token: Mapping[str, Any],
) -> dict[str, Any]:
    try:
        decoded = _decode(directory, client.issuer, token["id_token"])
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": client.issuer},
                "aud": {"essential": True, "value": client.client_id},
            },
            params={
                "nonce": pending.nonce,
                "client_id": client.client_id,
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except (InvalidKeyIdError, BadSignatureError):
        raise LoginRefused(
            "signature", N_("Das ID-Token ist nicht vom Anmeldedienst signiert.")
        ) from None
    except ExpiredTokenError:
        raise LoginRefused("expired-token", N_("Das ID-Token ist abgelaufen.")) from None
    except (InvalidClaimError, MissingClaimError) as error:
        claim = getattr(error, "claim", None) or str(error)
        raise LoginRefused(
            f"claim-{claim}", N_("Das ID-Token ist ungültig (Angabe „%(claim)s“)."), claim=claim
        ) from None
    except (JoseError, ValueError):
        raise LoginRefused("id-token-invalid", N_("Das ID-Token ist nicht lesbar.")) from None
    return dict(claims)


def _userinfo(
    directory: ProviderDirectory, issuer: str, token: Mapping[str, Any], subject: str
) -> dict[str, Any]:
    endpoint = directory.metadata(issuer).get("userinfo_endpoint")
    if not endpoint or not token.get("access_token"):
        return {}
    try:
        response = requests.get(
            endpoint,
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        info = response.json()
    except (requests.RequestException, ValueError):
        raise LoginRefused(
            "userinfo", N_("Der Anmeldedienst hat keine Personendaten geliefert.")
        ) from None
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise LoginRefused(
            "userinfo-subject", N_("Personendaten und ID-Token beschreiben verschiedene Personen.")
        )
    return info
