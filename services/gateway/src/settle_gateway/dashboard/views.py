"""The dashboard of an administration."""

from __future__ import annotations

from settle_gateway.adapters.web import ADMINISTRATION, NOT_FOUND, Context, ReadSession, ui_router
from settle_gateway.auth.security import Reader
from settle_gateway.dashboard import service
from settle_gateway.dashboard.models import DashboardOut

router = ui_router()


@router.get(ADMINISTRATION + "/dashboard", response_model=DashboardOut, responses=NOT_FOUND)
async def dashboard(
    administration_id: str, principal: Reader, context: Context, session: ReadSession
) -> DashboardOut:
    """Open invoices per phase, attention per reason, totals and aging. Phases and attention
    come from maintained aggregates; overdue and aging from open totals per due date (also
    maintained), cut into buckets at the business date: no invoice is read."""
    return await service.dashboard(session, administration_id, context.today())
