"""The dashboard of an administration."""

from __future__ import annotations

from settle_gateway.adapters.web import ADMINISTRATION, NOT_FOUND, Context, ReadSession, ui_router
from settle_gateway.auth.security import Reader
from settle_gateway.dashboard import series, service
from settle_gateway.dashboard.models import DashboardOut, DashboardSeriesOut

router = ui_router()


@router.get(ADMINISTRATION + "/dashboard", response_model=DashboardOut, responses=NOT_FOUND)
async def dashboard(
    administration_id: str, principal: Reader, context: Context, session: ReadSession
) -> DashboardOut:
    """Open invoices per phase, attention per reason, totals and aging. Phases and attention
    come from maintained aggregates; overdue and aging from open totals per due date (also
    maintained), cut into buckets at the business date: no invoice is read."""
    return await service.dashboard(session, administration_id, context.today())


@router.get(
    ADMINISTRATION + "/dashboard/series", response_model=DashboardSeriesOut, responses=NOT_FOUND
)
async def dashboard_series(
    administration_id: str, principal: Reader, context: Context, session: ReadSession
) -> DashboardSeriesOut:
    """Per currency, for the last 18 months up to the business date: what was invoiced, the
    open amount, DSO and aging at each month end (the current month at the business date).
    Read from aggregates the read model keeps; no invoice is read."""
    return await series.dashboard_series(session, administration_id, context.today())
