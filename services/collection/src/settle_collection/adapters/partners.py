"""The registry of judicial collection partners, read from JSON (data/partners.json as
shipped, or the file SETTLE_COLLECTION_PARTNERS_FILE names)."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

from settle_collection.domain.partners import Partner


def load_partners(path: Path | None = None) -> dict[str, Partner]:
    """The partners by id; a file that cannot be read stops the service at start-up."""
    text = (
        path.read_text("utf-8")
        if path is not None
        else (files("settle_collection") / "data" / "partners.json").read_text("utf-8")
    )
    partners = {}
    for item in json.loads(text)["partners"]:
        partner = Partner(
            partner_id=item["partner_id"],
            name=item["name"],
            website=item["website"],
            logo_url=item["logo_url"],
            description=item.get("description", ""),
            accepts_business=bool(item.get("accepts_business", True)),
            accepts_consumer=bool(item.get("accepts_consumer", True)),
            countries=tuple(item.get("countries", ())),
            minimum_principal=Decimal(item.get("minimum_principal", "0.00")),
        )
        partners[partner.partner_id] = partner
    return partners
