"""Upload bodies a client or a proxy got wrong: a form cut off before its closing boundary, and
a file name no folder can hold. Each is refused with a clear 422, and nothing is left behind."""

from __future__ import annotations

import pytest

from .conftest import ADM, THREE_INVOICES, Importer

pytestmark = pytest.mark.service

FORM = "multipart/form-data; boundary=XyZ"


def _part(filename: bytes, content: bytes) -> bytes:
    return (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: text/csv\r\n\r\n'
        + content
    )


async def _post(importer: Importer, body: bytes) -> tuple[int, str]:
    response = await importer.client.post(
        f"/internal/v1/administrations/{ADM}/imports",
        content=body,
        headers={"content-type": FORM},
    )
    return response.status_code, response.text


async def test_a_form_cut_off_before_its_closing_boundary_is_refused_not_imported(
    importer: Importer,
):
    # The body ends inside the file: its last invoice line lost half its amount.
    cut = THREE_INVOICES[: THREE_INVOICES.rindex(b";") - 2]
    status, text = await _post(importer, _part(b"open.csv", cut))
    assert status == 422, text
    assert "multipart" in text
    runs = await importer.client.get(f"/internal/v1/administrations/{ADM}/runs")
    assert runs.json()["runs"] == []
    assert list(importer.ctx.settings.uploads_dir.iterdir()) == []


@pytest.mark.parametrize("filename", [b"open\x00.csv", b"o" * 300 + b".csv"])
async def test_a_file_name_no_folder_can_hold_is_refused_with_a_reason(
    importer: Importer, filename: bytes
):
    status, text = await _post(importer, _part(filename, THREE_INVOICES) + b"\r\n--XyZ--\r\n")
    assert status == 422, text
    assert "file name" in text
    assert list(importer.ctx.settings.uploads_dir.iterdir()) == []
