"""A payment plan over a collection case end to end, with dunning, collection and the payments
service as processes on a real Kafka-protocol broker and PostgreSQL and the local PSP: the
case's balance (principal, costs, interest) is planned in two instalments; collection pauses
the case; each instalment paid at the PSP is allocated to the case by law (costs, interest,
principal) and counts toward the plan in dunning; the second pays the case off, collection
closes it as paid and dunning completes the plan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from settle_payments.adapters.psp.local_server import local_psp_process
from settle_shared.events.dunning import InvoiceReadyForCollection
from settle_shared.events.importer import DebtorUpserted, InvoiceImported
from settle_shared.migrations import upgrade
from settle_shared.net import free_port
from settle_shared.service import load_service
from settle_shared.testing.infra import scratch_database

from .test_payments_with_dunning import ADM, TOKEN, eventually, publish, serving

pytestmark = pytest.mark.integration

# The broker's topics outlive a test: the other tests' invoices and debtors of ADM are on them
# too, so this one's have ids of their own.


@asynccontextmanager
async def three_services(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[tuple[str, str, str]]:
    """The local PSP, dunning, collection and the payments service as processes, each service
    on a fresh database: the services' base URLs."""
    async with (
        scratch_database(postgres_url, "settle_pay") as payments_db,
        scratch_database(postgres_url, "settle_dun") as dunning_db,
        scratch_database(postgres_url, "settle_col") as collection_db,
    ):
        for name, url in (
            ("payments", payments_db),
            ("dunning", dunning_db),
            ("collection", collection_db),
        ):
            await asyncio.to_thread(upgrade, load_service(name).migrations_dir, url)
        common = {"kafka_bootstrap_servers": kafka_bootstrap, "kafka_partitions": "3"}
        payments_port = free_port()
        with (
            local_psp_process(webhook_delay_s=0.5) as psp,
            serving(
                "dunning",
                {**common, "database_url": dunning_db, "daily_run_enabled": "false"},
                tmp_path / "dunning.log",
            ) as dunning,
            serving(
                "collection",
                {**common, "database_url": collection_db, "schedule_enabled": "false"},
                tmp_path / "collection.log",
            ) as collection,
            serving(
                "payments",
                {
                    **common,
                    "database_url": payments_db,
                    "psp_base_url": f"{psp}/v2",
                    "public_base_url": f"http://127.0.0.1:{payments_port}",
                },
                tmp_path / "payments.log",
                port=payments_port,
            ) as payments,
        ):
            yield dunning, collection, payments


async def test_instalments_paid_at_the_psp_pay_off_a_paused_case_and_complete_the_plan(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with three_services(postgres_url, kafka_bootstrap, tmp_path) as (
        dunning,
        collection,
        payments,
    ):
        cases = f"{collection}/internal/v1/administrations/{ADM}/cases"
        plans = f"{dunning}/internal/v1/administrations/{ADM}/plans"
        async with httpx.AsyncClient(timeout=10, headers=TOKEN) as client:
            settings = await client.get(
                f"{collection}/internal/v1/administrations/{ADM}/collection/settings"
            )
            opened = await client.put(
                f"{collection}/internal/v1/administrations/{ADM}/collection/settings",
                json={**settings.json(), "opening": "automatic", "costs_vat": False},
            )
            assert opened.status_code == 200, opened.text
            await publish(
                kafka_bootstrap,
                DebtorUpserted(
                    administration_id=ADM,
                    debtor_id="deb-case-1",
                    number="DC1",
                    version=1,
                    name="Bakkerij De Korenaar",
                    kind="business",
                    emails=["a@korenaar.example"],
                ),
                InvoiceImported(
                    administration_id=ADM,
                    invoice_id="inv-case-1",
                    number="2025-C01",
                    version=1,
                    run_id="run-1",
                    debtor_id="deb-case-1",
                    debtor_number="DC1",
                    invoice_date=date(2025, 1, 6),
                    due_date=date(2025, 2, 5),
                    amount=Decimal("1000.00"),
                    open_amount=Decimal("1000.00"),
                    currency="EUR",
                ),
                InvoiceReadyForCollection(
                    administration_id=ADM,
                    invoice_id="inv-case-1",
                    debtor_id="deb-case-1",
                    flow_id="default-business",
                    open_amount=Decimal("1000.00"),
                    currency="EUR",
                    on=date(2025, 3, 20),
                ),
            )

            async def the_case() -> dict[str, Any] | None:
                items = (await client.get(cases)).json()["items"]
                return items[0] if items else None

            case_id = (await eventually(the_case))["case_id"]
            for part in ("costs", "interest"):
                charged = await client.post(f"{cases}/{case_id}/charges", json={"part": part})
                assert charged.status_code == 200, charged.text
            case = (await client.get(f"{cases}/{case_id}")).json()
            covered = case["balance"]["total"]
            assert Decimal(case["balance"]["interest_open"]) > 0

            # What the gateway sends dunning for a plan over the case.
            async def planned() -> httpx.Response | None:
                answer = await client.post(
                    plans,
                    json={
                        "cases": [
                            {
                                "case_id": case_id,
                                "debtor_id": "deb-case-1",
                                "currency": "EUR",
                                "status": case["status"],
                                "step": case["step"],
                                "invoice_ids": case["invoice_ids"],
                                "balance": covered,
                            }
                        ],
                        "kind": "weekly",
                        # the services run on the real clock here
                        "first_date": (date.today() + timedelta(days=7)).isoformat(),
                        "instalments": 2,
                    },
                )
                return answer if answer.status_code == 201 else None

            plan = (await eventually(planned)).json()
            plan_id = plan["plan_id"]
            assert plan["covered_amount"] == covered

            async def paused() -> dict[str, Any] | None:
                shown = (await client.get(f"{cases}/{case_id}")).json()
                return shown if shown["payment_plan_id"] == plan_id else None

            shown = await eventually(paused)
            assert shown["paused"]
            resumed = await client.post(f"{cases}/{case_id}/resume")
            assert resumed.status_code == 409 and "payment plan" in resumed.json()["detail"]

            async def pay(number: int) -> None:
                async def opened() -> httpx.Response | None:
                    answer = await client.post(
                        f"{payments}/api/v1/administrations/{ADM}/payments",
                        json={
                            "debtor_id": "deb-case-1",
                            "plan_id": plan_id,
                            "instalment": number,
                            "idempotency_key": f"instalment-{number}",
                            "redirect_url": "https://portal.example/done",
                        },
                    )
                    return answer if answer.status_code == 201 else None

                payment = (await eventually(opened)).json()
                assert payment["invoices"][0]["invoice_id"] == "inv-case-1"
                chosen = await client.post(
                    payment["checkout_url"], data={"outcome": "paid", "method": "ideal"}
                )
                assert chosen.status_code == 303

            first = plan["instalments"][0]["amount"]
            await pay(1)

            async def counted() -> dict[str, Any] | None:
                shown = (await client.get(f"{plans}/{plan_id}")).json()
                return shown if shown["paid_amount"] == first else None

            progressed = await eventually(counted)
            assert [i["status"] for i in progressed["instalments"]] == ["paid", "open"]
            case = (await client.get(f"{cases}/{case_id}")).json()
            [allocated] = case["payments"]
            # Costs first, then interest, then the principal (art. 6:44 BW).
            assert Decimal(allocated["costs"]) == Decimal("150.00")
            assert Decimal(allocated["interest"]) > 0 and Decimal(allocated["principal"]) > 0
            assert case["status"] == "open" and case["paused"]

            await pay(2)

            async def completed() -> dict[str, Any] | None:
                shown = (await client.get(f"{plans}/{plan_id}")).json()
                return shown if shown["status"] == "completed" else None

            done = await eventually(completed)
            assert done["left_amount"] == "0.00"

            async def closed() -> dict[str, Any] | None:
                shown = (await client.get(f"{cases}/{case_id}")).json()
                return shown if shown["payment_plan_id"] is None else None

            case = await eventually(closed)
            assert (case["status"], case["outcome"]) == ("closed", "paid")
            assert case["balance"]["total"] == "0.00"
