"""Who is calling: tokens, tenants, and the authorization checks services use.

Every gRPC call carries a JWT whose claims say who the caller is (`sub`),
which tenant they act for (`tenant`), in which role (`role`) and, for unit
roles, which unit (`unit`). The tenant is:

- a municipality code ("1480") for the municipal roles,
- "region:<län code>" ("region:14") for the regional support structure,
- "nation" for the national analyst,
- "region:<län code>" or "nation" for an operator.

The embedded default signs tokens itself (HS256, a secret file the supervisor
creates); a production deployment verifies an identity provider's RS256/ES256
tokens against its JWKS.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

import jwt

from shared.errors import InvalidArgument, PermissionDenied, Unauthenticated
from shared.municipalities import MUNICIPALITIES, REGIONS, region_of
from shared.roles import MUNICIPAL_ROLES, UNIT_ROLES, Role
from shared.settings import Settings

NATION: Final = "nation"
REGION_PREFIX: Final = "region:"

#: Roles whose tenant is a region or the nation, never one municipality.
REGIONAL_ROLES: Final = frozenset({Role.REGIONAL_SUPPORT})
NATIONAL_ROLES: Final = frozenset({Role.NATIONAL_ANALYST})

HMAC_ALGORITHM: Final = "HS256"
ASYMMETRIC_ALGORITHMS: Final = ("RS256", "ES256")
#: HS256 keys shorter than the hash output are weak (RFC 7518 §3.2).
MIN_SECRET_BYTES: Final = 32
MAX_UNIT_LENGTH: Final = 128
MAX_SUBJECT_LENGTH: Final = 256
DEFAULT_TTL: Final = timedelta(hours=12)
DEFAULT_LEEWAY: Final = timedelta(seconds=30)
_REQUIRED_CLAIMS: Final = ("sub", "tenant", "role", "iss", "aud", "iat", "exp")


# --- the caller ------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """The verified identity behind one call."""

    subject: str
    tenant: str
    role: Role
    unit: str | None = None

    def __post_init__(self) -> None:
        check_claims(self.role, self.tenant, self.unit)

    @property
    def is_municipal(self) -> bool:
        """Acts inside one municipality (its tenant is a municipality code)."""
        return self.role in MUNICIPAL_ROLES

    @property
    def is_unit_bound(self) -> bool:
        """May only act on its own unit."""
        return self.role in UNIT_ROLES

    @property
    def municipality(self) -> str | None:
        """The municipality code for a municipal caller, else None."""
        return self.tenant if self.is_municipal else None

    @property
    def region(self) -> str | None:
        """The caller's län code: its municipality's län, or its regional tenant's."""
        if self.is_municipal:
            return region_of(self.tenant)
        if self.tenant.startswith(REGION_PREFIX):
            return self.tenant.removeprefix(REGION_PREFIX)
        return None

    @property
    def is_national(self) -> bool:
        return self.tenant == NATION

    def acts_for(self, tenant: str) -> bool:
        """True if the caller's own tenant is `tenant` (no widening)."""
        return self.tenant == tenant

    def may_read_aggregates_of(self, scope: str) -> bool:
        """May see aggregate (small-count-suppressed) figures for `scope`.

        `scope` is a municipality code, "region:<län>" or "nation". A
        municipality sees its own figures; a region sees its municipalities'
        and its own; the nation sees everything. Operators rebuild reports
        but do not read them.
        """
        if self.role is Role.OPERATOR:
            return False
        if self.is_municipal:
            return scope == self.tenant
        if self.is_national:
            return True
        own_region = self.region
        if scope in MUNICIPALITIES:
            return region_of(scope) == own_region
        return scope == f"{REGION_PREFIX}{own_region}"

    def describe(self) -> str:
        """Short text for messages and logs: "unit_staff of 1480 (Göteborg), unit u1"."""
        where = self.tenant
        if self.tenant in MUNICIPALITIES:
            where = f"{self.tenant} ({MUNICIPALITIES[self.tenant]})"
        elif self.tenant.startswith(REGION_PREFIX):
            code = self.tenant.removeprefix(REGION_PREFIX)
            where = f"{self.tenant} ({REGIONS.get(code, '?')})"
        unit = f", unit {self.unit}" if self.unit is not None else ""
        return f"{self.role.value} of {where}{unit}"


def parse_role(value: object, field: str = "role") -> Role:
    """The Role named by `value`, or InvalidArgument listing the known roles."""
    if isinstance(value, Role):
        return value
    if isinstance(value, str):
        try:
            return Role(value)
        except ValueError:
            pass
    known = ", ".join(role.value for role in Role)
    raise InvalidArgument(f"unknown role {value!r}; known roles: {known}", field=field)


def check_tenant(role: Role, tenant: str, field: str = "tenant") -> str:
    """Return `tenant` if it is a valid tenant for `role`, else raise InvalidArgument."""
    if role in MUNICIPAL_ROLES:
        if tenant in MUNICIPALITIES:
            return tenant
        raise InvalidArgument(
            f"role {role.value} acts for one municipality: the tenant must be a 4-digit "
            f"SCB municipality code such as 1480; got {tenant!r}",
            field=field,
        )
    if role in REGIONAL_ROLES or role is Role.OPERATOR:
        if tenant.startswith(REGION_PREFIX) and tenant.removeprefix(REGION_PREFIX) in REGIONS:
            return tenant
        if role is Role.OPERATOR and tenant == NATION:
            return tenant
        allowed = '"region:<län code>" (e.g. "region:14")'
        if role is Role.OPERATOR:
            allowed += ' or "nation"'
        raise InvalidArgument(
            f"role {role.value} needs the tenant {allowed} with an SCB län code; got {tenant!r}",
            field=field,
        )
    if role in NATIONAL_ROLES:
        if tenant == NATION:
            return tenant
        raise InvalidArgument(
            f'role {role.value} needs the tenant "nation"; got {tenant!r}', field=field
        )
    raise InvalidArgument(f"no tenant rule for role {role.value}", field="role")


def check_unit(role: Role, unit: str | None, field: str = "unit") -> str | None:
    """Unit roles need a unit; other roles must not carry one."""
    if role in UNIT_ROLES:
        if unit is None or not unit.strip():
            raise InvalidArgument(
                f"role {role.value} is bound to one unit: the unit claim is required",
                field=field,
            )
        if len(unit) > MAX_UNIT_LENGTH or unit != unit.strip():
            raise InvalidArgument(
                f"a unit id has at most {MAX_UNIT_LENGTH} characters and no surrounding whitespace",
                field=field,
            )
        return unit
    if unit is not None:
        raise InvalidArgument(
            f"role {role.value} is not bound to a unit: leave the unit out", field=field
        )
    return None


def check_claims(role: Role, tenant: str, unit: str | None) -> None:
    """The tenant and unit rules together (raises InvalidArgument)."""
    if not isinstance(role, Role):
        raise InvalidArgument(f"not a Role: {role!r}", field="role")
    check_tenant(role, tenant)
    check_unit(role, unit)


# --- tokens ----------------------------------------------------------------


class TokenIssuer:
    """Signs HS256 tokens for the embedded default, the CLI and tests."""

    def __init__(self, secret: bytes, issuer: str, audience: str) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the signing secret must be at least {MIN_SECRET_BYTES} bytes")
        if not issuer or not audience:
            raise ValueError("issuer and audience must not be empty")
        self._secret = secret
        self.issuer = issuer
        self.audience = audience

    def issue(
        self,
        tenant: str,
        role: Role | str,
        unit: str | None = None,
        subject: str | None = None,
        ttl: timedelta = DEFAULT_TTL,
        now: datetime | None = None,
    ) -> str:
        """A signed token; raises InvalidArgument for a bad role, tenant, unit or ttl.

        `subject` defaults to "<role>@<tenant>[/<unit>]". `now` (timezone-aware)
        defaults to the wall clock.
        """
        checked_role = parse_role(role)
        check_claims(checked_role, tenant, unit)
        if ttl <= timedelta(0):
            raise InvalidArgument(f"must be positive; got {ttl}", field="ttl")
        if subject is None:
            subject = f"{checked_role.value}@{tenant}" + (f"/{unit}" if unit else "")
        if not subject.strip() or len(subject) > MAX_SUBJECT_LENGTH:
            raise InvalidArgument(
                f"must be 1–{MAX_SUBJECT_LENGTH} characters, not blank", field="subject"
            )
        if now is None:
            now = datetime.now(UTC)
        elif now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        issued_at = int(now.timestamp())
        claims: dict[str, Any] = {
            "sub": subject,
            "tenant": tenant,
            "role": checked_role.value,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued_at,
            "exp": issued_at + int(ttl.total_seconds()),
        }
        if unit is not None:
            claims["unit"] = unit
        return jwt.encode(claims, self._secret, algorithm=HMAC_ALGORITHM)


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Caller:
        """The Caller the token names; raises Unauthenticated if it does not verify."""
        ...


class _JwtVerifier:
    """Shared decoding and claim checks; subclasses supply the key."""

    _algorithms: tuple[str, ...]

    def __init__(self, issuer: str, audience: str, leeway: timedelta) -> None:
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway

    def _key(self, token: str) -> Any:
        raise NotImplementedError

    def verify(self, token: str) -> Caller:
        if not token:
            raise Unauthenticated("empty bearer token")
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=list(self._algorithms),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(_REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired; get a new one") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("the token's signature does not verify") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(
                f"the token is not meant for this service (audience must be {self.audience!r})"
            ) from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(
                f"the token comes from an unknown issuer (expected {self.issuer!r})"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"the token lacks the {exc.claim!r} claim") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("the token is not valid yet") from None
        except jwt.InvalidAlgorithmError:
            allowed = ", ".join(self._algorithms)
            raise Unauthenticated(
                f"the token is signed with an algorithm not accepted here (only {allowed})"
            ) from None
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated(f"no signing key for this token: {exc}") from None
        except jwt.DecodeError:
            raise Unauthenticated("the token is malformed (not a JWT)") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the token is invalid: {exc}") from None
        return _caller_from_claims(claims)


def _caller_from_claims(claims: dict[str, Any]) -> Caller:
    subject, tenant, role_claim = claims["sub"], claims["tenant"], claims["role"]
    unit = claims.get("unit")
    if not isinstance(subject, str) or not subject.strip():
        raise Unauthenticated("the token's 'sub' claim is empty")
    if not isinstance(tenant, str):
        raise Unauthenticated("the token's 'tenant' claim is not a string")
    if unit is not None and not isinstance(unit, str):
        raise Unauthenticated("the token's 'unit' claim is not a string")
    if unit == "":
        unit = None
    try:
        role = parse_role(role_claim)
    except InvalidArgument as exc:
        raise Unauthenticated(f"the token names an {exc.reason}") from None
    try:
        check_tenant(role, tenant)
        check_unit(role, unit)
    except InvalidArgument as exc:
        raise Unauthenticated(f"the token's {exc.field} claim is wrong: {exc.reason}") from None
    return Caller(subject=subject, tenant=tenant, role=role, unit=unit)


class SecretVerifier(_JwtVerifier):
    """Verifies HS256 tokens signed with a shared secret (the embedded default)."""

    _algorithms = (HMAC_ALGORITHM,)

    def __init__(
        self, secret: bytes, issuer: str, audience: str, *, leeway: timedelta = DEFAULT_LEEWAY
    ) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the signing secret must be at least {MIN_SECRET_BYTES} bytes")
        super().__init__(issuer, audience, leeway)
        self._secret = secret

    def _key(self, token: str) -> Any:
        return self._secret


class JwksVerifier(_JwtVerifier):
    """Verifies an identity provider's RS256/ES256 tokens against its JWKS.

    Keys are cached: the key set for `lifespan_seconds`, and each key by its
    `kid`; a token with an unknown `kid` triggers one refetch (key rotation).
    Fetching blocks, so async callers should verify in a worker thread.
    """

    _algorithms = ASYMMETRIC_ALGORITHMS

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        *,
        leeway: timedelta = DEFAULT_LEEWAY,
        lifespan_seconds: float = 300,
        timeout_seconds: float = 10,
    ) -> None:
        super().__init__(issuer, audience, leeway)
        self.jwks_url = jwks_url
        self._client = jwt.PyJWKClient(
            jwks_url,
            cache_keys=True,
            cache_jwk_set=True,
            lifespan=lifespan_seconds,
            timeout=timeout_seconds,
        )

    def _key(self, token: str) -> Any:
        return self._client.get_signing_key_from_jwt(token)


# --- the secret file and settings -------------------------------------------


def load_or_create_secret(path: Path) -> bytes:
    """The HS256 secret in `path`, created (mode 0600, with parents) if absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once never overwrite each other's secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    secret = path.read_bytes().strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the JWT signing secret in {path} is shorter than {MIN_SECRET_BYTES} bytes; "
            "delete it to have a new one created"
        )
    return secret


def _existing_secret(settings: Settings) -> bytes:
    path = settings.secret_file()
    if not path.is_file():
        raise FileNotFoundError(
            f"JWT signing secret {path} does not exist: the supervisor (`arshjul up`) creates "
            "it; or set ARSHJUL_JWT_SECRET_FILE, or ARSHJUL_JWT_JWKS_URL to verify an "
            "identity provider's tokens"
        )
    return _read_secret(path)


def verifier_from_settings(settings: Settings) -> TokenVerifier:
    """JWKS verification if `jwt_jwks_url` is set, else the existing secret file."""
    if settings.jwt_jwks_url:
        return JwksVerifier(settings.jwt_jwks_url, settings.jwt_issuer, settings.jwt_audience)
    return SecretVerifier(_existing_secret(settings), settings.jwt_issuer, settings.jwt_audience)


def issuer_from_settings(settings: Settings) -> TokenIssuer:
    """An issuer for the embedded default's secret file (CLI and demo tokens)."""
    if settings.jwt_jwks_url:
        raise RuntimeError(
            "tokens come from the identity provider at ARSHJUL_JWT_JWKS_URL; "
            "this deployment does not issue its own"
        )
    return TokenIssuer(_existing_secret(settings), settings.jwt_issuer, settings.jwt_audience)


# --- authorization -----------------------------------------------------------


def require_role(caller: Caller, *roles: Role) -> None:
    """PermissionDenied unless the caller has one of `roles`."""
    if caller.role not in roles:
        raise PermissionDenied(
            f"{caller.describe()} may not do this; it needs the role {_one_of(roles)}"
        )


def require_tenant(caller: Caller, tenant: str) -> None:
    """PermissionDenied unless the caller acts for exactly `tenant`.

    A municipal caller may only touch its own municipality; a regional or
    national caller never gets at one municipality's own data this way
    (aggregates go through `require_aggregate_access`).
    """
    if caller.acts_for(tenant):
        return
    target = tenant
    if tenant in MUNICIPALITIES:
        target = f"{tenant} ({MUNICIPALITIES[tenant]})"
    if caller.is_municipal:
        reason = f"{caller.describe()} may not act for tenant {target}"
    else:
        reason = (
            f"{caller.describe()} may not act for tenant {target}: "
            "regional and national roles see aggregates only"
        )
    raise PermissionDenied(reason, field="tenant")


def require_unit(caller: Caller, unit: str) -> None:
    """A unit-bound caller may only act on its own unit; other roles pass."""
    if caller.is_unit_bound and caller.unit != unit:
        raise PermissionDenied(
            f"{caller.describe()} may only act on its own unit, not {unit!r}", field="unit"
        )


def require_aggregate_access(caller: Caller, scope: str) -> None:
    """PermissionDenied unless the caller may read aggregates for `scope`."""
    if not caller.may_read_aggregates_of(scope):
        raise PermissionDenied(
            f"{caller.describe()} may not read figures for {scope}", field="scope"
        )


def _one_of(roles: Iterable[Role]) -> str:
    names = [role.value for role in roles]
    if not names:
        return "(none allowed)"
    return names[0] if len(names) == 1 else "one of " + ", ".join(names)
