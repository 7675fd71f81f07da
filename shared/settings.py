"""Settings read from the environment (pydantic-settings).

Every service and the CLI read the same class; each variable is listed in the
README's configuration table. `DATABASE_URL` and `KAFKA_BOOTSTRAP` keep their
conventional names; everything else is prefixed `ARSHJUL_`.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARSHJUL_", extra="ignore")

    home: Path = Field(
        default=Path(".arshjul"),
        description="State directory of the embedded default: pgdata, signing secret, stack file.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "ARSHJUL_DATABASE_URL"),
        description="SQLAlchemy URL (postgresql+asyncpg://…). Unset: embedded PostgreSQL.",
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        description="PostgreSQL connections each service process keeps (as many again under load).",
    )
    kafka_bootstrap: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP", "ARSHJUL_KAFKA_BOOTSTRAP"),
        description="Kafka bootstrap servers. Unset: the embedded Tansu broker.",
    )
    kafka_idempotence: bool = Field(
        default=True,
        description="Idempotent producer with acks=all. The embedded Tansu broker cannot; "
        "the embedded default sets it to false.",
    )
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: Path | None = None
    topic_partitions: int = Field(default=4, ge=1)
    topic_prefix: str = Field(default="", description="Prefix for every topic name (tests).")

    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=0, ge=0, le=65535, description="0: the service's default.")
    grpc_tls_cert: Path | None = None
    grpc_tls_key: Path | None = None
    metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Prometheus metrics over HTTP on the gRPC host at this port. 0: none.",
    )

    jwt_secret_file: Path | None = Field(
        default=None,
        description="HS256 signing secret (embedded default). Unset: <home>/jwt-secret.",
    )
    jwt_jwks_url: str | None = Field(
        default=None, description="Production: verify tokens against this issuer's JWKS."
    )
    jwt_issuer: str = "arshjul-embedded"
    jwt_audience: str = "arshjul"

    clock: Literal["wall", "simulated"] = "wall"
    simulated_clock_start: datetime = Field(
        default=datetime.fromisoformat("2025-01-01T00:00:00+01:00"),
        description="Where a fresh simulated clock starts (it only moves forward).",
    )
    scheduler_tick_seconds: float = Field(default=1.0, gt=0)
    relay_batch_size: int = Field(default=500, ge=1)
    relay_idle_seconds: float = Field(default=0.05, gt=0)
    disclosure_k: int = Field(
        default=5,
        ge=1,
        description="Disclosure control: counts from 1 to k-1 leaving their owner's view are "
        "suppressed, and means and shares of fewer than k observations with them.",
    )
    scales_dir: Path | None = Field(
        default=None,
        description="Extra scale files (<id>.v<version>.json) added to the built-in catalogue.",
    )

    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    def secret_file(self) -> Path:
        return self.jwt_secret_file or self.home / "jwt-secret"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
