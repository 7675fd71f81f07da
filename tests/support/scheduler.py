"""The scheduler service in a test: its process, and a client over gRPC."""

from __future__ import annotations

import grpc

from shared.api import scheduler_pb2_grpc as pb_grpc
from shared.settings import Settings
from tests.support import service
from tests.support.service import AuthorisedStub, token

__all__ = ["Client", "migrate", "token"]


def migrate(settings: Settings) -> None:
    service.migrate(settings, "scheduler")


class Client(AuthorisedStub):
    """A scheduler stub whose calls carry one caller's bearer token."""

    def __init__(self, channel: grpc.aio.Channel, bearer: str) -> None:
        super().__init__(pb_grpc.SchedulerStub(channel), bearer)
