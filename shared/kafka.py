"""Kafka client settings shared by the relay, consumers and tools.

The embedded Tansu broker has no idempotent producer, so idempotence (with
acks=all) is a setting that the embedded default turns off.
"""

from __future__ import annotations

import ssl
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from shared.settings import Settings


def bootstrap(settings: Settings) -> str:
    if not settings.kafka_bootstrap:
        raise RuntimeError(
            "KAFKA_BOOTSTRAP is not set: start the stack with `make run` (embedded broker) "
            "or point KAFKA_BOOTSTRAP at a Kafka cluster"
        )
    return settings.kafka_bootstrap


def connection_options(settings: Settings) -> dict[str, Any]:
    """Security options understood by every aiokafka client."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        )
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password
    return options


def producer_options(settings: Settings) -> dict[str, Any]:
    if settings.kafka_idempotence:
        return {"enable_idempotence": True, "acks": "all"}
    # Without idempotence a retried batch could be written twice; consumers
    # de-duplicate by event id, so that is safe. acks=all still waits for
    # every in-sync replica.
    return {"enable_idempotence": False, "acks": "all"}


def consumer_options(settings: Settings) -> dict[str, Any]:
    return {
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_heartbeat_interval_ms,
        **connection_options(settings),
    }


def make_broker(settings: Settings) -> KafkaBroker:
    """A FastStream broker used for publishing (the outbox relay)."""
    return KafkaBroker(
        bootstrap(settings), security=_security(settings), linger_ms=5, **producer_options(settings)
    )


def _security(settings: Settings) -> BaseSecurity | None:
    protocol = settings.kafka_security_protocol
    context = connection_options(settings).get("ssl_context")
    if settings.kafka_sasl_mechanism:
        sasl = {
            "PLAIN": SASLPlaintext,
            "SCRAM-SHA-256": SASLScram256,
            "SCRAM-SHA-512": SASLScram512,
        }[settings.kafka_sasl_mechanism]
        return sasl(
            username=settings.kafka_sasl_username or "",
            password=settings.kafka_sasl_password or "",
            ssl_context=context,
            use_ssl=protocol == "SASL_SSL",
        )
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    return None


def topic(settings: Settings, base: str) -> str:
    return f"{settings.topic_prefix}{base}"
