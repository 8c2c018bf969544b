"""A judicial collection partner's side of Settle's bailiff integration, written from the
published contract alone: the AsyncAPI document (docs/asyncapi/bailiffs.json) says which topics
to read and write, which CloudEvents headers a record carries and the JSON Schema of each
payload. Plain aiokafka and jsonschema; nothing of Settle's own code.

    python examples/bailiff/bailiff.py --bootstrap 127.0.0.1:9092 \\
        --asyncapi docs/asyncapi/bailiffs.json --partner-id example-bailiff \\
        --inbox var/bailiff --pay 100.00

For every handoff meant for its partner id it checks the headers and validates the payload
against the document's schema, keeps the document in the inbox folder (<handoff_id>.json), and
reports back: accepted, then (with --pay) a payment received. A handoff that fails validation is
kept in the inbox's rejected/ folder with the reasons, and not answered."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

log = logging.getLogger("bailiff")
DOCUMENT_URI = "urn:settle:asyncapi:bailiffs"


class Contract:
    """What the AsyncAPI document says: the topic Settle sends handoffs on, the one it
    receives reports on, their messages' headers and payload schemas."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT_URI, resource)
        sends = [op for op in document["operations"].values() if op["action"] == "send"]
        receives = [op for op in document["operations"].values() if op["action"] == "receive"]
        self.handoffs = self._channel(sends[0])
        self.updates = self._channel(receives[0])

    def _channel(self, operation: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve(operation["channel"]["$ref"])
        [message] = [self._resolve(m["$ref"]) for m in operation["messages"]]
        return {"topic": channel["address"], "message": message}

    def _resolve(self, ref: str) -> Any:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        if isinstance(node, dict) and "$ref" in node:
            return self._resolve(node["$ref"])
        return node

    def validator(self, message: dict[str, Any]) -> Draft202012Validator:
        ref = message["payload"]["$ref"]
        return Draft202012Validator({"$ref": DOCUMENT_URI + ref}, registry=self.registry)

    def problems(self, channel: dict[str, Any], headers: dict[str, str], payload: Any) -> list[str]:
        """Everything wrong with a record of a channel: missing or wrong headers, a payload
        its schema refuses."""
        message = channel["message"]
        spec = message["headers"]
        found = [f"header {name} is missing" for name in spec["required"] if name not in headers]
        for name, rules in spec["properties"].items():
            if "const" in rules and name in headers and headers[name] != rules["const"]:
                found.append(f"header {name} is {headers[name]!r}, not {rules['const']!r}")
        found += [
            f"{'/'.join(map(str, error.absolute_path)) or 'payload'}: {error.message}"
            for error in self.validator(message).iter_errors(payload)
        ]
        return found

    def ce_type(self, channel: dict[str, Any]) -> str:
        return str(channel["message"]["headers"]["properties"]["ce_type"]["const"])


class Bailiff:
    def __init__(self, args: argparse.Namespace, contract: Contract) -> None:
        self.args = args
        self.contract = contract
        self.inbox = Path(args.inbox)
        (self.inbox / "rejected").mkdir(parents=True, exist_ok=True)

    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            self.contract.handoffs["topic"],
            bootstrap_servers=self.args.bootstrap,
            group_id=self.args.group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        producer = AIOKafkaProducer(bootstrap_servers=self.args.bootstrap, acks="all")
        await consumer.start()
        await producer.start()
        log.info("waiting for handoffs on %s", self.contract.handoffs["topic"])
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        await self.handle(producer, record)
                if batches:
                    await consumer.commit()
        finally:
            await consumer.stop()
            await producer.stop()

    async def handle(self, producer: AIOKafkaProducer, record: Any) -> None:
        headers = {name: value.decode() for name, value in record.headers or ()}
        try:
            payload = json.loads(record.value)
        except ValueError:
            payload = None
        problems = self.contract.problems(self.contract.handoffs, headers, payload)
        if problems:
            log.warning("handoff refused: %s", "; ".join(problems))
            name = f"{record.partition}-{record.offset}.json"
            (self.inbox / "rejected" / name).write_text(
                json.dumps({"headers": headers, "problems": problems}, indent=2)
            )
            return
        if payload["partner_id"] != self.args.partner_id:
            return  # another partner's case
        handoff = self.inbox / f"{payload['handoff_id']}.json"
        if handoff.exists():
            return  # delivered again: answered already
        handoff.write_text(json.dumps(payload, indent=2))
        amounts = payload["amounts"]
        log.info(
            "case %s of %s: %s %s", payload["case_id"], payload["debtor"]["name"],
            amounts["currency"], amounts["total"],
        )  # fmt: skip
        reports: list[dict[str, Any]] = [{"kind": "accepted"}]
        if self.args.pay:
            reports.append(
                {
                    "kind": "payment_received",
                    "amount": str(Decimal(self.args.pay)),
                    "currency": amounts["currency"],
                }
            )
        for sequence, report in enumerate(reports, start=1):
            await self.report(producer, payload, sequence, report)

    async def report(
        self,
        producer: AIOKafkaProducer,
        handoff: dict[str, Any],
        sequence: int,
        report: dict[str, Any],
    ) -> None:
        update = {
            "update_id": f"{self.args.partner_id}-{handoff['handoff_id']}-{sequence}",
            "administration_id": handoff["administration_id"],
            "case_id": handoff["case_id"],
            "handoff_id": handoff["handoff_id"],
            "partner_id": self.args.partner_id,
            "sequence": sequence,
            "reported_at": datetime.now(UTC).isoformat(),
            **report,
        }
        channel = self.contract.updates
        headers = {
            "ce_specversion": "1.0",
            "ce_id": str(uuid.uuid4()),
            "ce_type": self.contract.ce_type(channel),
            "ce_source": f"/partners/{self.args.partner_id}",
            "ce_time": update["reported_at"],
            "ce_subject": handoff["case_id"],
            "content-type": "application/json",
            "administration_id": handoff["administration_id"],
        }
        problems = self.contract.problems(channel, headers, update)
        if problems:  # our own mistake: never send what the contract refuses
            raise ValueError("; ".join(problems))
        await producer.send_and_wait(
            channel["topic"],
            json.dumps(update).encode(),
            key=handoff["case_id"].encode(),
            headers=[(name, value.encode()) for name, value in headers.items()],
        )
        log.info("reported %s on case %s", report["kind"], handoff["case_id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--asyncapi", default="docs/asyncapi/bailiffs.json")
    parser.add_argument("--partner-id", default="example-bailiff")
    parser.add_argument("--group", default="example-bailiff")
    parser.add_argument("--inbox", default="var/bailiff")
    parser.add_argument("--pay", default="", help="report a payment of this amount")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s bailiff %(message)s")
    contract = Contract(json.loads(Path(args.asyncapi).read_text()))

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await Bailiff(args, contract).run(stop)

    asyncio.run(run())


if __name__ == "__main__":
    main()
