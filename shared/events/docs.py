"""Generate the event documentation from the catalogue: `python -m shared.events.docs`
(or `make event-docs`).

Writes `docs/asyncapi.yaml` (AsyncAPI 3.0: one channel per service topic
`<service>.events`, one message per event type and version, with the Kafka key,
the headers the relay sets and the envelope around the payload) and
`docs/events/<type>.json` (a standalone JSON Schema of each payload version).
Everything comes from `shared.events.catalogue.registered_types()`, so the
output is deterministic; a unit test fails when the committed files differ
from a fresh run, i.e. when the catalogue changed without regenerating.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

import shared.events  # noqa: F401  (registers every payload type)
from shared.events.catalogue import EventPayload, registered_types
from shared.events.envelope import EventEnvelope

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ASYNCAPI_FILE = "asyncapi.yaml"
SCHEMAS_DIR = "events"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: What deploy/ gives every event topic (deploy/compose.yaml, deploy/k8s/topics-job.yaml).
TOPIC_PARTITIONS = 12
TOPIC_REPLICAS = 3

_HEADERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event_id": {
            "type": "string",
            "format": "uuid",
            "description": "The envelope's event id: consumers drop a redelivered event by it.",
        },
        "event_type": {
            "type": "string",
            "description": "The envelope's versioned type, `<service>.<Name>.v<N>`.",
        },
        "correlation_id": {
            "type": "string",
            "description": "The envelope's correlation id, so the logs of every service join.",
        },
    },
    "required": ["event_id", "event_type"],
}


def _service(event_type: str) -> str:
    return event_type.split(".", 1)[0]


def _description(payload: type[EventPayload]) -> str:
    doc = payload.__doc__
    if not doc or doc == EventPayload.__doc__:
        return f"{payload.type_name()}, version {payload.version()}."
    return inspect.cleandoc(doc)


def _upcast_note(payload: type[EventPayload], types: Mapping[str, type[EventPayload]]) -> str:
    older = [
        f"v{n}" for n in range(1, payload.version()) if f"{payload.type_name()}.v{n}" not in types
    ]
    if not older:
        return ""
    return f"\n\nStored {', '.join(older)} payloads are upcast to this version on read."


def _envelope_schema() -> dict[str, Any]:
    schema = EventEnvelope.model_json_schema(mode="serialization")
    # Every field is on the wire, also those with defaults (event_id, causation_id).
    schema["required"] = list(schema["properties"])
    schema["title"] = "EventEnvelope"
    return schema


def _asyncapi_schema(node: Any) -> Any:
    """JSON Schema as AsyncAPI's schema object wants it: its `discriminator` is the
    property name alone (pydantic writes OpenAPI's object with a mapping)."""
    if isinstance(node, dict):
        return {
            key: value["propertyName"]
            if key == "discriminator" and isinstance(value, dict) and "propertyName" in value
            else _asyncapi_schema(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_asyncapi_schema(item) for item in node]
    return node


def asyncapi(types: Mapping[str, type[EventPayload]]) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the topics and their events."""
    ordered = sorted(types.items())
    refs, definitions = models_json_schema(
        [(payload, "serialization") for _, payload in ordered],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = {"EventEnvelope": _envelope_schema()}
    schemas.update(sorted(_asyncapi_schema(definitions.get("$defs", {})).items()))
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event_type, payload in ordered:
        messages[event_type] = {
            "name": payload.type_name().split(".", 1)[1],
            "title": event_type,
            "summary": _description(payload).split("\n\n", 1)[0].replace("\n", " "),
            "description": _description(payload) + _upcast_note(payload, types),
            "contentType": "application/json",
            "headers": _HEADERS,
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/EventEnvelope"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": event_type},
                            "schema_version": {"const": payload.version()},
                            "payload": refs[(payload, "serialization")],
                        },
                    },
                ]
            },
            "bindings": {
                "kafka": {
                    "key": {
                        "type": "string",
                        "description": "The aggregate (stream) id: one aggregate's events "
                        "stay in order on one partition.",
                    },
                    "bindingVersion": "0.5.0",
                }
            },
        }
    for service in sorted({_service(event_type) for event_type, _ in ordered}):
        channel = f"{service}.events"
        names = [event_type for event_type, _ in ordered if _service(event_type) == service]
        channels[channel] = {
            "address": channel,
            "title": channel,
            "description": f"Every event of the {service} service, keyed by aggregate id, "
            "kept for ever (replayable history).",
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
            "bindings": {
                "kafka": {
                    "topic": channel,
                    "partitions": TOPIC_PARTITIONS,
                    "replicas": TOPIC_REPLICAS,
                    "topicConfiguration": {
                        "cleanup.policy": ["delete"],
                        "retention.ms": -1,
                        "retention.bytes": -1,
                    },
                    "bindingVersion": "0.5.0",
                }
            },
        }
        operations[f"{service}.publish"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"The {service} service's outbox relay publishes each stored event once "
            "the transaction that stored it has committed.",
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in names],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Årshjul events",
            "version": version("arshjul"),
            "description": "The event topics of Årshjul, generated from the event catalogue "
            "(`python -m shared.events.docs`). Every message is an event envelope "
            "(JSON) around one versioned payload; the Kafka key is the aggregate id.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def json_schema(payload: type[EventPayload], types: Mapping[str, type[EventPayload]]) -> Any:
    """A standalone JSON Schema of one payload version."""
    schema = payload.model_json_schema(mode="serialization")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{payload.event_type}.json",
        **schema,
        "title": payload.event_type,
        "description": _description(payload) + _upcast_note(payload, types),
    }


def documented_types() -> dict[str, type[EventPayload]]:
    """The catalogue's own event types (a test may register throwaway ones)."""
    return {
        name: payload
        for name, payload in registered_types().items()
        if payload.__module__.startswith("shared.events.")
    }


def render(types: Mapping[str, type[EventPayload]] | None = None) -> dict[str, str]:
    """Every generated file, as its path under docs/ and its text."""
    types = types if types is not None else documented_types()
    files = {
        ASYNCAPI_FILE: yaml.safe_dump(
            asyncapi(types), sort_keys=False, allow_unicode=True, width=100
        ),
    }
    for event_type, payload in sorted(types.items()):
        text = json.dumps(json_schema(payload, types), indent=2, ensure_ascii=False)
        files[f"{SCHEMAS_DIR}/{event_type}.json"] = text + "\n"
    return files


def write(docs: Path = DOCS) -> list[Path]:
    """Write the files, removing schemas of event types that are gone; returns what it wrote."""
    files = render()
    stale = set((docs / SCHEMAS_DIR).glob("*.json")) - {docs / name for name in files}
    for path in stale:
        path.unlink()
    written = []
    for name, text in files.items():
        path = docs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    written = write()
    print(f"wrote {len(written)} files under {DOCS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
