import pytest
from fastapi import HTTPException

from settle_gateway.adapters.upstream import safe_path

pytestmark = pytest.mark.unit


def test_ids_from_the_users_url_cannot_reach_another_internal_route():
    assert safe_path("/internal/v1/administrations/a/runs/x?y#z") == (
        "/internal/v1/administrations/a/runs/x%3Fy%23z"
    )
    assert safe_path("/internal/v1/administrations/a/runs/\n\u00de") == (
        "/internal/v1/administrations/a/runs/%0A%C3%9E"
    )
    with pytest.raises(HTTPException) as refused:
        safe_path("/internal/v1/administrations/a/../b/runs")
    assert refused.value.status_code == 404
