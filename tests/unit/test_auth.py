from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.auth import (
    Caller,
    JwksVerifier,
    SecretVerifier,
    TokenIssuer,
    issuer_from_settings,
    load_or_create_secret,
    require_aggregate_access,
    require_role,
    require_tenant,
    require_unit,
    verifier_from_settings,
)
from shared.errors import InvalidArgument, PermissionDenied, Unauthenticated
from shared.roles import Role
from shared.settings import Settings

SECRET = b"s" * 48
ISSUER = "arshjul-test"
AUDIENCE = "arshjul"


@pytest.fixture
def issuer() -> TokenIssuer:
    return TokenIssuer(SECRET, ISSUER, AUDIENCE)


@pytest.fixture
def verifier() -> SecretVerifier:
    return SecretVerifier(SECRET, ISSUER, AUDIENCE)


def _raw_token(claims: dict[str, Any], key: Any = SECRET, algorithm: str = "HS256") -> str:
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, key, algorithm=algorithm)


# --- issue and verify ---------------------------------------------------------


def test_round_trip_gives_the_caller_back(issuer: TokenIssuer, verifier: SecretVerifier) -> None:
    token = issuer.issue("1480", Role.UNIT_STAFF, unit="ifo-barn-unga", subject="anna")
    assert verifier.verify(token) == Caller(
        subject="anna", tenant="1480", role=Role.UNIT_STAFF, unit="ifo-barn-unga"
    )


def test_issued_claims(issuer: TokenIssuer) -> None:
    now = datetime(2025, 5, 15, 8, 0, tzinfo=UTC)
    token = issuer.issue("1402", "follow_up", now=now, ttl=timedelta(hours=2))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims == {
        "sub": "follow_up@1402",
        "tenant": "1402",
        "role": "follow_up",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": 1747296000,  # 2025-05-15T08:00:00Z
        "exp": 1747303200,  # two hours later
    }
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_default_subject_names_role_tenant_and_unit(
    issuer: TokenIssuer, verifier: SecretVerifier
) -> None:
    caller = verifier.verify(issuer.issue("1480", Role.UNIT_MANAGER, unit="u7"))
    assert caller.subject == "unit_manager@1480/u7"


def test_expired_token(issuer: TokenIssuer, verifier: SecretVerifier) -> None:
    token = issuer.issue("1480", Role.FOLLOW_UP, now=datetime.now(UTC) - timedelta(hours=13))
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason == "the token has expired; get a new one"


def test_wrong_secret(issuer: TokenIssuer) -> None:
    other = SecretVerifier(b"t" * 48, ISSUER, AUDIENCE)
    with pytest.raises(Unauthenticated) as caught:
        other.verify(issuer.issue("1480", Role.FOLLOW_UP))
    assert caught.value.reason == "the token's signature does not verify"


def test_wrong_audience(verifier: SecretVerifier) -> None:
    token = TokenIssuer(SECRET, ISSUER, "someone-else").issue("1480", Role.FOLLOW_UP)
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason == (
        "the token is not meant for this service (audience must be 'arshjul')"
    )


def test_wrong_issuer(verifier: SecretVerifier) -> None:
    token = TokenIssuer(SECRET, "elsewhere", AUDIENCE).issue("1480", Role.FOLLOW_UP)
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason == "the token comes from an unknown issuer (expected 'arshjul-test')"


def test_garbage_token(verifier: SecretVerifier) -> None:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify("not.a.jwt")
    assert caught.value.reason == "the token is malformed (not a JWT)"


def test_unsigned_token_is_refused(verifier: SecretVerifier) -> None:
    token = _raw_token({"sub": "x", "tenant": "1480", "role": "follow_up"}, None, "none")
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert "algorithm not accepted here (only HS256)" in caught.value.reason


@pytest.mark.parametrize("missing", ["sub", "tenant", "role", "exp", "iat", "aud", "iss"])
def test_missing_claim(verifier: SecretVerifier, missing: str) -> None:
    # _raw_token drops claims set to None, including its own defaults.
    token = _raw_token({"sub": "x", "tenant": "1480", "role": "follow_up", missing: None})
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason == f"the token lacks the {missing!r} claim"


def test_unknown_role(verifier: SecretVerifier) -> None:
    token = _raw_token({"sub": "x", "tenant": "1480", "role": "superuser"})
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason.startswith("the token names an unknown role 'superuser'")


def test_bad_tenant_in_token(verifier: SecretVerifier) -> None:
    token = _raw_token({"sub": "x", "tenant": "9999", "role": "follow_up"})
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason.startswith("the token's tenant claim is wrong: role follow_up")
    assert "'9999'" in caught.value.reason


def test_unit_role_token_without_unit(verifier: SecretVerifier) -> None:
    token = _raw_token({"sub": "x", "tenant": "1480", "role": "unit_staff"})
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason == (
        "the token's unit claim is wrong: role unit_staff is bound to one unit: "
        "the unit claim is required"
    )


def test_issuing_for_unit_role_needs_a_unit(issuer: TokenIssuer) -> None:
    for role in (Role.UNIT_STAFF, Role.UNIT_MANAGER):
        with pytest.raises(InvalidArgument) as caught:
            issuer.issue("1480", role)
        assert caught.value.field == "unit"


def test_issuing_refuses_unit_for_non_unit_role(issuer: TokenIssuer) -> None:
    with pytest.raises(InvalidArgument) as caught:
        issuer.issue("1480", Role.IFO_CHIEF, unit="u1")
    assert caught.value.field == "unit"


def test_issuing_refuses_unknown_role_and_bad_ttl(issuer: TokenIssuer) -> None:
    with pytest.raises(InvalidArgument) as caught:
        issuer.issue("1480", "root")
    assert caught.value.field == "role"
    with pytest.raises(InvalidArgument) as caught:
        issuer.issue("1480", Role.FOLLOW_UP, ttl=timedelta(0))
    assert caught.value.field == "ttl"
    with pytest.raises(ValueError):
        issuer.issue("1480", Role.FOLLOW_UP, now=datetime(2025, 1, 1))


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenIssuer(b"short", ISSUER, AUDIENCE)
    with pytest.raises(ValueError):
        SecretVerifier(b"short", ISSUER, AUDIENCE)


# --- tenant rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "tenant"),
    [
        (Role.FOLLOW_UP, "1480"),
        (Role.DEVELOPMENT_LEADER, "0180"),
        (Role.IFO_CHIEF, "1402"),
        (Role.REGIONAL_SUPPORT, "region:14"),
        (Role.REGIONAL_SUPPORT, "region:01"),
        (Role.NATIONAL_ANALYST, "nation"),
        (Role.OPERATOR, "region:14"),
        (Role.OPERATOR, "nation"),
    ],
)
def test_valid_tenants(
    issuer: TokenIssuer, verifier: SecretVerifier, role: Role, tenant: str
) -> None:
    caller = verifier.verify(issuer.issue(tenant, role))
    assert (caller.role, caller.tenant, caller.unit) == (role, tenant, None)


@pytest.mark.parametrize(
    ("role", "tenant"),
    [
        (Role.FOLLOW_UP, "region:14"),
        (Role.FOLLOW_UP, "nation"),
        (Role.FOLLOW_UP, "9999"),
        (Role.FOLLOW_UP, "148"),
        (Role.REGIONAL_SUPPORT, "1480"),
        (Role.REGIONAL_SUPPORT, "nation"),
        (Role.REGIONAL_SUPPORT, "region:02"),
        (Role.REGIONAL_SUPPORT, "region:1480"),
        (Role.REGIONAL_SUPPORT, "region:"),
        (Role.NATIONAL_ANALYST, "region:14"),
        (Role.NATIONAL_ANALYST, "1480"),
        (Role.OPERATOR, "1480"),
        (Role.OPERATOR, "region:99"),
    ],
)
def test_invalid_tenants(issuer: TokenIssuer, role: Role, tenant: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        issuer.issue(tenant, role)
    assert caught.value.field == "tenant"
    assert repr(tenant) in caught.value.reason


def test_caller_regions() -> None:
    assert Caller("a", "1480", Role.FOLLOW_UP).region == "14"
    assert Caller("a", "1480", Role.FOLLOW_UP).municipality == "1480"
    assert Caller("b", "region:12", Role.REGIONAL_SUPPORT).region == "12"
    assert Caller("b", "region:12", Role.REGIONAL_SUPPORT).municipality is None
    assert Caller("c", "nation", Role.NATIONAL_ANALYST).region is None


def test_caller_cannot_be_built_with_bad_claims() -> None:
    with pytest.raises(InvalidArgument):
        Caller("a", "region:14", Role.FOLLOW_UP)
    with pytest.raises(InvalidArgument):
        Caller("a", "1480", Role.UNIT_STAFF)


# --- authorization helpers ---------------------------------------------------------

STAFF = Caller("anna", "1480", Role.UNIT_STAFF, "u1")
FOLLOW_UP = Caller("bo", "1480", Role.FOLLOW_UP)
REGION = Caller("cia", "region:14", Role.REGIONAL_SUPPORT)
NATION = Caller("dan", "nation", Role.NATIONAL_ANALYST)
OPERATOR = Caller("eva", "nation", Role.OPERATOR)


def test_require_role() -> None:
    require_role(FOLLOW_UP, Role.FOLLOW_UP, Role.UNIT_MANAGER)
    with pytest.raises(PermissionDenied) as caught:
        require_role(STAFF, Role.FOLLOW_UP, Role.UNIT_MANAGER)
    assert caught.value.reason == (
        "unit_staff of 1480 (Göteborg), unit u1 may not do this; "
        "it needs the role one of follow_up, unit_manager"
    )


def test_require_tenant() -> None:
    require_tenant(STAFF, "1480")
    with pytest.raises(PermissionDenied) as caught:
        require_tenant(FOLLOW_UP, "1402")
    assert caught.value.field == "tenant"
    assert caught.value.reason == (
        "follow_up of 1480 (Göteborg) may not act for tenant 1402 (Partille)"
    )
    with pytest.raises(PermissionDenied) as caught:
        require_tenant(REGION, "1480")
    assert caught.value.reason == (
        "regional_support of region:14 (Västra Götalands län) may not act for tenant "
        "1480 (Göteborg): regional and national roles see aggregates only"
    )


def test_require_unit() -> None:
    require_unit(STAFF, "u1")
    require_unit(FOLLOW_UP, "u2")  # not unit-bound
    with pytest.raises(PermissionDenied) as caught:
        require_unit(STAFF, "u2")
    assert caught.value.field == "unit"
    assert caught.value.reason == (
        "unit_staff of 1480 (Göteborg), unit u1 may only act on its own unit, not 'u2'"
    )


def test_aggregate_access() -> None:
    assert FOLLOW_UP.may_read_aggregates_of("1480")
    assert not FOLLOW_UP.may_read_aggregates_of("1402")
    assert not FOLLOW_UP.may_read_aggregates_of("region:14")
    assert REGION.may_read_aggregates_of("1402")  # Partille is in Västra Götaland
    assert REGION.may_read_aggregates_of("region:14")
    assert not REGION.may_read_aggregates_of("0180")
    assert not REGION.may_read_aggregates_of("region:01")
    assert not REGION.may_read_aggregates_of("nation")
    assert NATION.may_read_aggregates_of("region:01")
    assert NATION.may_read_aggregates_of("nation")
    assert not OPERATOR.may_read_aggregates_of("nation")
    with pytest.raises(PermissionDenied):
        require_aggregate_access(REGION, "0180")


# --- secret file and settings ---------------------------------------------------------


def test_load_or_create_secret(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state" / "jwt-secret"
    secret = load_or_create_secret(path)
    assert len(secret) == 64  # token_urlsafe(48): 48 bytes → 64 base64url characters
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == secret


def test_verifier_from_settings_needs_the_secret_file(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, jwt_jwks_url=None, jwt_secret_file=None)
    with pytest.raises(FileNotFoundError) as caught:
        verifier_from_settings(settings)
    assert str(tmp_path / "jwt-secret") in str(caught.value)


def test_settings_round_trip(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, jwt_jwks_url=None, jwt_secret_file=None)
    load_or_create_secret(settings.secret_file())
    token = issuer_from_settings(settings).issue("1480", Role.IFO_CHIEF)
    verifier = verifier_from_settings(settings)
    assert isinstance(verifier, SecretVerifier)
    assert verifier.verify(token).tenant == "1480"


def test_settings_with_jwks_url(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, jwt_jwks_url="https://idp.example/jwks.json")
    verifier = verifier_from_settings(settings)
    assert isinstance(verifier, JwksVerifier)
    assert verifier.jwks_url == "https://idp.example/jwks.json"
    with pytest.raises(RuntimeError):
        issuer_from_settings(settings)


# --- JWKS --------------------------------------------------------------------------


@dataclass
class JwksServer:
    url: str
    keys: list[dict[str, Any]]
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer(url="", keys=[])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _public_jwk(private_key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.get_algorithm_by_name(alg)
    jwk: dict[str, Any] = algorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update(kid=kid, alg=alg, use="sig")
    return jwk


def _signed(private_key: Any, kid: str, alg: str, **claims: Any) -> str:
    now = int(datetime.now(UTC).timestamp())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600, **claims}
    return jwt.encode(payload, private_key, algorithm=alg, headers={"kid": kid})


def test_jwks_rs256_and_es256(jwks_server: JwksServer) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks_server.keys = [
        _public_jwk(rsa_key, "rsa-1", "RS256"),
        _public_jwk(ec_key, "ec-1", "ES256"),
    ]
    verifier = JwksVerifier(jwks_server.url, ISSUER, AUDIENCE)

    rsa_token = _signed(rsa_key, "rsa-1", "RS256", sub="idp|42", tenant="1480", role="ifo_chief")
    assert verifier.verify(rsa_token) == Caller("idp|42", "1480", Role.IFO_CHIEF)
    ec_token = _signed(
        ec_key, "ec-1", "ES256", sub="idp|43", tenant="region:14", role="regional_support"
    )
    assert verifier.verify(ec_token) == Caller("idp|43", "region:14", Role.REGIONAL_SUPPORT)
    assert verifier.verify(rsa_token).subject == "idp|42"

    # One fetch served all three verifications: the key set is cached.
    assert jwks_server.hits == ["/.well-known/jwks.json"]


def test_jwks_refuses_a_foreign_signature(jwks_server: JwksServer) -> None:
    published = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks_server.keys = [_public_jwk(published, "k1", "RS256")]
    verifier = JwksVerifier(jwks_server.url, ISSUER, AUDIENCE)
    token = _signed(impostor, "k1", "RS256", sub="x", tenant="1480", role="follow_up")
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason == "the token's signature does not verify"


def test_jwks_unknown_kid_and_hs256(jwks_server: JwksServer) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks_server.keys = [_public_jwk(key, "k1", "RS256")]
    verifier = JwksVerifier(jwks_server.url, ISSUER, AUDIENCE)
    token = _signed(key, "k2", "RS256", sub="x", tenant="1480", role="follow_up")
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason.startswith("no signing key for this token")
    # A locally signed HS256 token must not pass where an identity provider rules.
    hs_token = TokenIssuer(SECRET, ISSUER, AUDIENCE).issue("1480", Role.FOLLOW_UP)
    with pytest.raises(Unauthenticated):
        verifier.verify(hs_token)


def test_jwks_unreachable() -> None:
    verifier = JwksVerifier("http://127.0.0.1:9/jwks.json", ISSUER, AUDIENCE, timeout_seconds=2)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = _signed(key, "k1", "RS256", sub="x", tenant="1480", role="follow_up")
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason.startswith("no signing key for this token")
