"""The committed event documentation (docs/asyncapi.yaml, docs/events/*.json) is
what the catalogue generates now, and it describes every event as it goes on Kafka."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from shared.events.catalogue import EventPayload
from shared.events.docs import DOCS, SCHEMAS_DIR, documented_types, render
from shared.events.envelope import EventEnvelope
from shared.events.scheduler import WheelStepDue
from shared.roles import Role

REGENERATE = "run `make event-docs` (python -m shared.events.docs) and commit docs/"


def committed() -> dict[str, str]:
    files = {
        str(path.relative_to(DOCS)): path.read_text(encoding="utf-8")
        for path in (DOCS / SCHEMAS_DIR).glob("*.json")
    }
    files["asyncapi.yaml"] = (DOCS / "asyncapi.yaml").read_text(encoding="utf-8")
    return files


def asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
    return document


def test_the_committed_docs_are_what_the_catalogue_generates() -> None:
    generated = render()
    on_disk = committed()
    assert sorted(on_disk) == sorted(generated), REGENERATE
    for name, text in generated.items():
        assert on_disk[name] == text, f"{name} is stale: {REGENERATE}"


def test_a_new_event_type_changes_the_generated_docs() -> None:
    class WheelRenamed(EventPayload):
        """A wheel got a new name (a type that exists only in this test)."""

        event_type = "scheduler.WheelRenamed.v1"
        name_sv: str

    generated = render({**documented_types(), WheelRenamed.event_type: WheelRenamed})
    assert generated["asyncapi.yaml"] != committed()["asyncapi.yaml"]
    assert "events/scheduler.WheelRenamed.v1.json" in generated


def test_every_event_is_a_message_on_its_service_topic() -> None:
    document = asyncapi()
    assert document["asyncapi"] == "3.0.0"
    messages = document["components"]["messages"]
    assert set(messages) == set(documented_types())
    for event_type, payload in documented_types().items():
        service = event_type.split(".")[0]
        channel = document["channels"][f"{service}.events"]
        assert channel["messages"][event_type] == {"$ref": f"#/components/messages/{event_type}"}
        message = messages[event_type]
        assert message["headers"]["required"] == ["event_id", "event_type"]
        envelope, specific = message["payload"]["allOf"]
        assert envelope == {"$ref": "#/components/schemas/EventEnvelope"}
        assert specific["properties"]["type"] == {"const": event_type}
        assert specific["properties"]["schema_version"] == {"const": payload.version()}
        schema_name = specific["properties"]["payload"]["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][schema_name]
        assert set(schema["properties"]) == set(payload.model_fields), event_type
    envelope_schema = document["components"]["schemas"]["EventEnvelope"]
    assert envelope_schema["required"] == list(EventEnvelope.model_fields)


def test_the_core_events_of_the_design_are_documented() -> None:
    messages = asyncapi()["components"]["messages"]
    names = {message["name"] for message in messages.values()}
    assert {"WheelStepDue", "SessionRecorded", "RatingSubmitted", "ReportCompiled"} <= names


def test_the_topics_are_partitioned_and_kept_for_ever() -> None:
    for channel in asyncapi()["channels"].values():
        binding = channel["bindings"]["kafka"]
        assert binding["topic"] == channel["address"]
        assert binding["topicConfiguration"]["retention.ms"] == -1
        assert binding["partitions"] == 12 and binding["replicas"] == 3


def test_a_published_payload_validates_against_its_json_schema() -> None:
    schema = json.loads(
        (DOCS / SCHEMAS_DIR / "scheduler.WheelStepDue.v1.json").read_text(encoding="utf-8")
    )
    Draft202012Validator.check_schema(schema)
    due = WheelStepDue(
        wheel_id="w-1",
        step_id="s-1",
        occurrence_date=date(2025, 5, 1),
        opens_at=datetime(2025, 4, 30, 22, tzinfo=UTC),
        deadline_at=datetime(2025, 5, 15, 22, tzinfo=UTC),
        role=Role.FOLLOW_UP,
        title_sv="Data inlämnad",
        title_en="Data submitted",
        unit="ifo-vuxen",
    )
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(due.model_dump(mode="json"))) == []
    wrong = {**due.model_dump(mode="json"), "occurrence_date": 20250501}
    assert list(validator.iter_errors(wrong)) != []


def test_every_json_schema_is_a_valid_schema_of_its_event_type() -> None:
    for event_type, payload in documented_types().items():
        path = Path(DOCS / SCHEMAS_DIR / f"{event_type}.json")
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        assert schema["title"] == event_type
        assert set(schema["properties"]) == set(payload.model_fields)
