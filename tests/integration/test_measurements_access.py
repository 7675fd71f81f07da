"""The measurements API: who may read and write a follow-up, and refusals that store nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc_status import rpc_status

from shared.api import measurements_pb2 as pb
from shared.embedded.tansu import free_port
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support import service
from tests.support.measurements import Measurements
from tests.support.service import ServiceProcess, token


@pytest.fixture
async def measurements(
    settings: Settings, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[ServiceProcess]:
    await ensure_topics(kafka_bootstrap, [f"{settings.topic_prefix}measurements.events"], 4)
    service.migrate(settings, "measurements")
    process = ServiceProcess("measurements", settings, free_port(), tmp_path / "measurements.log")
    await process.start()
    yield process
    process.stop()


def rating(**fields: object) -> pb.Rating:
    values: dict[str, object] = {
        "scale_id": "audit",
        "occasion": "intake",
        "value": 17,
        "rated_on": "2025-09-02",
    }
    values.update(fields)
    return pb.Rating(**values)  # type: ignore[arg-type]


async def refused(call: object, code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call  # type: ignore[misc]
    assert error.value.code() is code, error.value.details()
    return error.value


async def test_another_municipality_and_other_units_are_refused(
    measurements: ServiceProcess, settings: Settings
) -> None:
    async with grpc.aio.insecure_channel(measurements.address) as channel:
        staff = Measurements(channel, token(settings, "1480", Role.UNIT_STAFF, "ifo-vuxen"))
        opened = await staff.OpenFollowUp(
            pb.OpenFollowUpRequest(
                unit="ifo-vuxen", client="K-1", client_group="missbruk", opened_on="2025-09-01"
            )
        )
        follow_up_id = opened.follow_up_id
        denied = grpc.StatusCode.PERMISSION_DENIED
        partille = Measurements(channel, token(settings, "1402", Role.FOLLOW_UP))
        get = pb.GetFollowUpRequest(follow_up_id=follow_up_id)
        error = await refused(partille.GetFollowUp(get), denied)
        assert "1402" in (error.details() or "") and "1480" in (error.details() or "")
        await refused(partille.ListFollowUps(pb.ListFollowUpsRequest(tenant="1480")), denied)
        await refused(
            partille.GetSeries(pb.GetSeriesRequest(follow_up_id=follow_up_id, goal_id="g1")), denied
        )
        await refused(
            partille.SubmitRating(
                pb.SubmitRatingRequest(follow_up_id=follow_up_id, rating=rating())
            ),
            denied,
        )
        await refused(
            partille.OpenFollowUp(
                pb.OpenFollowUpRequest(
                    tenant="1480", unit="ifo-vuxen", client="K-2", client_group="g"
                )
            ),
            denied,
        )
        region = Measurements(channel, token(settings, "region:14", Role.REGIONAL_SUPPORT))
        await refused(region.GetFollowUp(get), denied)

        # A unit role is bound to its unit; other roles of the municipality read.
        other_unit = Measurements(channel, token(settings, "1480", Role.UNIT_STAFF, "ifo-familj"))
        await refused(other_unit.GetFollowUp(get), denied)
        listed = await other_unit.ListFollowUps(pb.ListFollowUpsRequest(unit="ifo-vuxen"))
        assert listed.total == 0  # a unit role always lists its own unit
        chief = Measurements(channel, token(settings, "1480", Role.IFO_CHIEF))
        assert (await chief.GetFollowUp(get)).client == "K-1"
        await refused(
            chief.SubmitRating(pb.SubmitRatingRequest(follow_up_id=follow_up_id, rating=rating())),
            denied,
        )
        assert (await staff.GetFollowUp(get)).version == 1


async def test_bad_input_is_an_invalid_argument_naming_the_field_and_stores_nothing(
    measurements: ServiceProcess, settings: Settings
) -> None:
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    async with grpc.aio.insecure_channel(measurements.address) as channel:
        staff = Measurements(channel, token(settings, "1480", Role.UNIT_STAFF, "ifo-vuxen"))
        error = await refused(
            staff.OpenFollowUp(
                pb.OpenFollowUpRequest(
                    unit="ifo-vuxen", client="19811218-9876", client_group="missbruk"
                )
            ),
            invalid,
        )
        details = error.details() or ""
        assert details.startswith("client: ")
        assert "client names and identities do not belong here" in details
        assert "19811218" not in details
        status = rpc_status.from_call(error)
        assert status is not None and "client" in str(status.details[0].value)
        listed = await staff.ListFollowUps(pb.ListFollowUpsRequest())
        assert listed.total == 0

        opened = await staff.OpenFollowUp(
            pb.OpenFollowUpRequest(
                unit="ifo-vuxen", client="K-7", client_group="missbruk", opened_on="2025-09-01"
            )
        )
        follow_up_id = opened.follow_up_id
        await staff.SetGoal(
            pb.SetGoalRequest(
                follow_up_id=follow_up_id,
                goal_id="g1",
                title="Minska riskabel alkoholkonsumtion",
                scale_id="audit",
                set_on="2025-09-01",
            )
        )
        for attempt, field in [
            (rating(value=41), "rating.value"),
            (rating(goal_id="g9"), "rating.goal_id"),
            (rating(occasion="exit"), "rating.occasion"),
            (rating(scale_id="phq9"), "rating.scale_id"),
            (rating(rated_on="2025-08-31"), "rating.rated_on"),
        ]:
            request = pb.SubmitRatingRequest(follow_up_id=follow_up_id, rating=attempt)
            error = await refused(staff.SubmitRating(request), invalid)
            assert (error.details() or "").startswith(f"{field}: "), error.details()
        stored = await staff.GetFollowUp(pb.GetFollowUpRequest(follow_up_id=follow_up_id))
        assert (stored.version, len(stored.ratings)) == (2, 0)

        await staff.SubmitRating(pb.SubmitRatingRequest(follow_up_id=follow_up_id, rating=rating()))
        exit_ = rating(occasion="exit", value=6, rated_on="2026-01-20", goal_id="g1")
        await staff.SubmitRating(pb.SubmitRatingRequest(follow_up_id=follow_up_id, rating=exit_))
        shown = await staff.GetFollowUp(pb.GetFollowUpRequest(follow_up_id=follow_up_id))
        [change] = shown.changes
        # 17 → 6: RCI (6 − 17) / (√2 · 5 · √0.16) = −11 / 2.83 = −3.89; 17 ≥ 8 > 6: recovered.
        assert (change.intake, change.exit, change.change_class) == (17, 6, "recovered")
        assert change.rci == pytest.approx(-11 / (2 * 2**0.5), rel=1e-12)
        assert [r.zone_sv for r in shown.ratings] == ["Zon III: skadligt bruk", "Zon I: låg risk"]

        conflict = await refused(
            staff.CloseFollowUp(
                pb.CloseFollowUpRequest(follow_up_id=follow_up_id, expected_version=3)
            ),
            grpc.StatusCode.ABORTED,
        )
        assert "version 4" in (conflict.details() or "")
