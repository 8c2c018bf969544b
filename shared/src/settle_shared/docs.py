"""Contract documents generated from code: the event catalogue (docs/events.md), one AsyncAPI
document per service (docs/asyncapi/) and one OpenAPI document per service (docs/openapi/).
They are committed, so a diff shows a contract change; a test fails when they are stale."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Literal

from faststream.specification import AsyncAPI

from settle_shared.events.base import CONTRACTS, EVENT_TYPES, TOPICS, Contract, Event
from settle_shared.service import ServiceRuntime, build_runtime, discover_services


def _runtimes() -> dict[str, ServiceRuntime]:
    runtimes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in discover_services().items():
            # Defaults only, so the documents do not depend on who generates them.
            settings = spec.settings_cls(database_url=f"sqlite+aiosqlite:///{tmp}/{name}.db")
            runtimes[name] = build_runtime(spec, settings)
    return runtimes


def _field_rows(model: type[Event]) -> list[str]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        kind = _type_name(prop)
        note = prop.get("description", "")
        optional = "" if name in required else " (optional)"
        rows.append(f"| `{name}` | {kind}{optional} | {note} |")
    return rows


def _type_name(prop: dict[str, Any]) -> str:
    if "anyOf" in prop:
        return " or ".join(_type_name(p) for p in prop["anyOf"])
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    kind = str(prop.get("type", "object"))
    if fmt := prop.get("format"):
        kind += f" ({fmt})"
    if kind == "array" and "items" in prop:
        kind = f"list of {_type_name(prop['items'])}"
    if "enum" in prop:
        kind = " \\| ".join(f"`{v}`" for v in prop["enum"])
    return kind


def events_markdown(runtimes: dict[str, ServiceRuntime]) -> str:
    consumers: dict[str, list[str]] = {}
    for name, runtime in runtimes.items():
        for consumer in runtime.consumers:
            for topic in consumer.topics:
                consumers.setdefault(topic, []).append(f"{name} (`{consumer.group_id}`)")
    lines = [
        "# Event catalogue",
        "",
        "Generated from the event models in `shared/src/settle_shared/events/` by "
        "`make docs`; a test fails when this file is stale. Every record is a CloudEvents 1.0 "
        "event in Kafka binary mode (see [architecture.md](architecture.md#the-envelope)). "
        "Each topic has a dead-letter topic `<topic>.dlt`.",
        "",
        "| topic | producer | consumers | key |",
        "|---|---|---|---|",
    ]
    for topic in sorted(TOPICS.values(), key=lambda t: t.name):
        if topic.producer == "ledger":
            continue
        readers = ", ".join(consumers.get(topic.name, [])) or "none yet"
        lines.append(f"| `{topic.name}` | {topic.producer} | {readers} | {topic.key} |")
    for topic in sorted(TOPICS.values(), key=lambda t: t.name):
        if topic.producer == "ledger":
            continue
        lines += ["", f"## `{topic.name}`", "", topic.description]
        for model in sorted(
            (m for m in EVENT_TYPES.values() if m.topic is topic), key=lambda m: m.event_type
        ):
            doc = " ".join((model.__doc__ or "").split())
            lines += ["", f"### `{model.event_type}` ({model.__name__})", "", doc, ""]
            lines += ["| field | type | meaning |", "|---|---|---|", *_field_rows(model)]
    return "\n".join(lines) + "\n"


# The CloudEvents attributes and Settle's headers of every record (architecture.md, The
# envelope), as an external contract documents them for parties outside Settle.
def _headers(event_type: str) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_type",
            "ce_source",
            "ce_time",
            "administration_id",
        ],
        "properties": {
            "ce_specversion": {**text, "const": "1.0"},
            "ce_id": {
                **text,
                "description": "unique id of the event (a UUID); the idempotency key",
            },
            "ce_type": {**text, "const": event_type},
            "ce_source": {
                **text,
                "description": "who wrote it: /settle/collection, or the partner's own URI",
            },
            "ce_time": {**text, "format": "date-time", "description": "ISO 8601 with its zone"},
            "ce_subject": {**text, "description": "the case id"},
            "content-type": {**text, "const": "application/json"},
            "administration_id": {**text, "description": "the administration of the case"},
            "correlation_id": {**text, "description": "optional: the chain the event belongs to"},
            "causation_id": {**text, "description": "optional: the event that caused it"},
        },
    }


def _schema(
    model: type[Event], mode: Literal["validation", "serialization"], ref_template: str
) -> dict[str, Any]:
    # What Settle writes is described as it is serialised; what it reads as it is validated.
    return model.model_json_schema(mode=mode, ref_template=ref_template)


def contract_documents(contract: Contract) -> dict[str, str]:
    """An external contract's AsyncAPI 3.0 document and a JSON Schema per payload, as
    (relative path, text)."""
    topics = [t for t in TOPICS.values() if t.contract == contract.name]
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    written: dict[str, str] = {}
    for topic in sorted(topics, key=lambda t: t.name):
        models = sorted(
            (m for m in EVENT_TYPES.values() if m.topic is topic), key=lambda m: m.event_type
        )
        settle_writes = topic.producer != "partners"
        mode: Literal["validation", "serialization"] = (
            "serialization" if settle_writes else "validation"
        )
        refs: dict[str, Any] = {}
        for model in models:
            name = model.__name__
            schema = _schema(model, mode, "#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[name] = schema
            messages[name] = {
                "name": name,
                "title": model.event_type,
                "summary": " ".join((model.__doc__ or "").split()),
                "contentType": "application/json",
                "headers": _headers(model.event_type),
                "payload": {"$ref": f"#/components/schemas/{name}"},
                "bindings": {
                    "kafka": {
                        "bindingVersion": "0.5.0",
                        "key": {"type": "string", "description": topic.key},
                    }
                },
            }
            refs[name] = {"$ref": f"#/components/messages/{name}"}
            standalone = _schema(model, mode, "#/$defs/{model}")
            standalone = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"https://settle.example/schemas/{model.event_type}.json",
                **standalone,
            }
            written[f"schemas/{model.event_type}.json"] = (
                json.dumps(standalone, indent=2, sort_keys=True) + "\n"
            )
        channels[topic.name] = {
            "address": topic.name,
            "description": topic.description,
            "messages": refs,
            "bindings": {"kafka": {"bindingVersion": "0.5.0", "topic": topic.name}},
        }
        action = "send" if settle_writes else "receive"
        operations[f"{action}:{topic.name}"] = {
            "action": action,
            "summary": f"Settle {'publishes' if settle_writes else 'reads'} {topic.name}",
            "channel": {"$ref": f"#/channels/{topic.name}"},
            "messages": [{"$ref": f"#/channels/{topic.name}/messages/{name}"} for name in refs],
        }
    document = {
        "asyncapi": "3.0.0",
        "info": {"title": contract.title, "version": "1", "description": contract.description},
        "defaultContentType": "application/json",
        "servers": {
            "development": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "the embedded broker of `settle up`; a deployment gives its own",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
    written[f"asyncapi/{contract.name}.json"] = (
        json.dumps(document, indent=2, sort_keys=True) + "\n"
    )
    return written


CONFIG_START = "<!-- configuration:start (generated by `make docs`) -->"
CONFIG_END = "<!-- configuration:end -->"


def _default(field: Any) -> str:
    value = field.default
    if value is None:
        return "(none)"
    if hasattr(value, "get_secret_value"):
        return "(secret)"
    if isinstance(value, tuple | list | set | frozenset):
        return ", ".join(f"`{item}`" for item in value) or "(none)"
    return f"`{value}`"


def configuration_markdown() -> str:
    """Every environment variable: the common ones once, then what each service adds."""
    from settle_shared.settings import ServiceSettings

    base = ServiceSettings.model_fields
    lines = [
        "Every service reads the variables below with its own prefix, "
        "`SETTLE_<SERVICE>_` (for example `SETTLE_IMPORTER_DATABASE_URL`).",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, field in base.items():
        lines.append(
            f"| `SETTLE_<SERVICE>_{name.upper()}` | {_default(field)} | {field.description} |"
        )
    for spec in discover_services().values():
        own = [
            (name, field)
            for name, field in spec.settings_cls.model_fields.items()
            if name not in base or field.default != base[name].default
        ]
        lines += ["", f"**{spec.name}** (`{spec.env_prefix}`)", ""]
        lines += ["| variable | default | meaning |", "|---|---|---|"]
        for name, field in own:
            lines.append(
                f"| `{spec.env_prefix}{name.upper()}` | {_default(field)} | {field.description} |"
            )
    return "\n".join(lines)


def with_configuration(readme: str) -> str:
    """The README with its configuration section regenerated."""
    start, end = readme.index(CONFIG_START), readme.index(CONFIG_END)
    return (
        readme[: start + len(CONFIG_START)] + "\n" + configuration_markdown() + "\n" + readme[end:]
    )


def generate(out: Path, readme: Path | None = None) -> list[Path]:
    """Write every document under `out` (and the README's configuration section when a
    README is given); returns the paths written."""
    runtimes = _runtimes()
    written: dict[Path, str] = {out / "events.md": events_markdown(runtimes)}
    if readme is not None:
        written[out.parent / "README.md"] = with_configuration(readme.read_text())
    for name, runtime in runtimes.items():
        spec = AsyncAPI(
            runtime.broker,
            title=f"Settle {name}",
            version="1",
            description=runtime.spec.description,
        ).to_specification()
        written[out / "asyncapi" / f"{name}.json"] = (
            json.dumps(spec.to_jsonable(), indent=2, sort_keys=True) + "\n"
        )
        written[out / "openapi" / f"{name}.json"] = (
            json.dumps(runtime.app.openapi(), indent=2, sort_keys=True) + "\n"
        )
    for contract in CONTRACTS.values():
        for relative, text in contract_documents(contract).items():
            written[out / relative] = text
    for path, text in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(written)
