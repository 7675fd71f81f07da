"""`python -m tests.integration.fake_service migrate|serve`.

`migrate` does nothing (or fails when FAKE_SERVICE_FAIL_MIGRATE is set);
`serve` runs a gRPC server with only the standard health service, SERVING, on
ARSHJUL_GRPC_PORT, prints the environment the supervisor gave it (one JSON
line, for the tests to check) and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import grpc
from grpc_health.v1 import health, health_pb2_grpc

REPORTED_ENV = (
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP",
    "ARSHJUL_HOME",
    "ARSHJUL_GRPC_PORT",
    "ARSHJUL_CLOCK",
    "ARSHJUL_TOPIC_PREFIX",
    "ARSHJUL_KAFKA_IDEMPOTENCE",
    "ARSHJUL_KAFKA_SESSION_TIMEOUT_MS",
    "ARSHJUL_KAFKA_HEARTBEAT_INTERVAL_MS",
    "ARSHJUL_JWT_SECRET_FILE",
)


def migrate() -> int:
    if os.environ.get("FAKE_SERVICE_FAIL_MIGRATE"):
        print('fake migration: relation "nothing" does not exist', file=sys.stderr)
        return 3
    print("fake migration: nothing to do")
    return 0


async def serve() -> int:
    port = int(os.environ["ARSHJUL_GRPC_PORT"])
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await server.start()
    print("fake-service env: " + json.dumps({k: os.environ.get(k) for k in REPORTED_ENV}))
    print(f"fake-service pid: {os.getpid()}", flush=True)
    await stop.wait()
    await server.stop(grace=1.0)
    print("fake-service stopped", flush=True)
    return 0


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "migrate":
        return migrate()
    if command == "serve":
        return asyncio.run(serve())
    print(f"usage: python -m {__package__} migrate|serve", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
