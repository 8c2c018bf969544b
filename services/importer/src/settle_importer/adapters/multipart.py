"""A multipart/form-data body read as it arrives: its one file written straight to a folder
on the files volume, its small text fields kept. Starlette's own form parsing spools a file
to the system's temporary directory first (in a pod, a small emptyDir), so uploads come
through here instead: memory stays at one chunk, and the size limit holds while the bytes
arrive, not after they were all stored."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from io import BufferedWriter
from pathlib import Path

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from settle_importer.domain.errors import FileRefused, FileTooLarge, InvalidRequest

MAX_FIELDS = 20
MAX_FIELD_BYTES = 64 * 1024
# The longest name a folder holds (NAME_MAX of Linux's file systems), in bytes.
MAX_NAME_BYTES = 255


@dataclass
class ReceivedForm:
    """What a multipart body held: the file (its stored path and the name it was sent with)
    and the text fields."""

    path: Path | None = None
    name: str | None = None
    size: int = 0
    fields: dict[str, str] = field(default_factory=dict)


class _Reader:
    """The callbacks of python-multipart's parser; file bytes wait in ``pending`` until the
    caller writes them (off the event loop)."""

    def __init__(self, folder: Path, file_field: str, default_name: str, limit: int) -> None:
        self.folder = folder
        self.file_field = file_field
        self.default_name = default_name
        self.limit = limit
        self.form = ReceivedForm()
        self.charset = "utf-8"
        self.out: BufferedWriter | None = None
        self.pending: list[bytes] = []
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._in_file = False
        self._field_name: str | None = None
        self._field_value = bytearray()
        self.ended = False

    def on_end(self) -> None:
        self.ended = True

    def on_part_begin(self) -> None:
        self._disposition = b""
        self._in_file = False
        self._field_name = None
        self._field_value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > MAX_FIELD_BYTES:
            raise InvalidRequest("a part header of the form is too long")

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        raw_name = options.get(b"name")
        if raw_name is None:
            raise InvalidRequest('a part of the form has no "name"')
        name = raw_name.decode(self.charset, errors="replace")
        if name == self.file_field and b"filename" in options:
            if self.form.path is not None:
                raise InvalidRequest(f"the form holds more than one {self.file_field!r}")
            sent = options[b"filename"].decode(self.charset, errors="replace")
            # Only the last part of the name: a sent name never chooses a folder.
            stored = Path(sent.replace("\\", "/")).name
            if stored in ("", ".", ".."):
                stored = self.default_name
            if "\x00" in stored or len(stored.encode()) > MAX_NAME_BYTES:
                raise InvalidRequest(
                    f"the file name holds a NUL character or is longer than {MAX_NAME_BYTES} bytes"
                )
            self.form.name = stored
            self.form.path = self.folder / stored
            self.out = self.form.path.open("wb")
            self._in_file = True
        elif b"filename" in options:
            raise InvalidRequest(f"the form may hold one file, in the field {self.file_field!r}")
        else:
            if len(self.form.fields) >= MAX_FIELDS:
                raise InvalidRequest(f"the form has more than {MAX_FIELDS} fields")
            self._field_name = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.form.size += end - start
            if self.form.size > self.limit:
                raise FileTooLarge(f"the file is larger than the {self.limit:,} bytes accepted")
            self.pending.append(data[start:end])
        else:
            self._field_value += data[start:end]
            if len(self._field_value) > MAX_FIELD_BYTES:
                raise InvalidRequest(f"the form field {self._field_name!r} is too long")

    def on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
        elif self._field_name is not None:
            self.form.fields[self._field_name] = self._field_value.decode(
                self.charset, errors="replace"
            )

    def write_pending(self) -> None:
        assert self.out is not None or not self.pending
        for chunk in self.pending:
            self.out.write(chunk)  # type: ignore[union-attr]
        self.pending.clear()


async def receive_form(
    content_type: str,
    body: AsyncIterator[bytes],
    folder: Path,
    *,
    limit: int,
    file_field: str = "file",
    default_name: str = "upload",
) -> ReceivedForm:
    """Read a multipart body, writing its file part (field ``file_field``) into ``folder``
    (which must exist) as it arrives. ``FileTooLarge`` as soon as the file passes ``limit``
    bytes, ``FileRefused`` for an empty file, ``InvalidRequest`` for a body that is not a
    form with that file. The caller removes ``folder`` when done, also after a refusal."""
    kind, params = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in params:
        raise InvalidRequest(f"send the file as multipart/form-data in the field {file_field!r}")
    reader = _Reader(folder, file_field, default_name, limit)
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        reader.charset = codecs.lookup(charset).name
    except LookupError:
        reader.charset = "latin-1"
    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": reader.on_part_begin,
            "on_part_data": reader.on_part_data,
            "on_part_end": reader.on_part_end,
            "on_header_field": reader.on_header_field,
            "on_header_value": reader.on_header_value,
            "on_header_end": reader.on_header_end,
            "on_headers_finished": reader.on_headers_finished,
            "on_end": reader.on_end,
        },
    )
    try:
        async for chunk in body:
            parser.write(chunk)
            if reader.pending:
                # Off the event loop: the files volume may be a network file system.
                await asyncio.to_thread(reader.write_pending)
        parser.finalize()
        if not reader.ended:
            # python-multipart's finalize does not check this: a body cut off inside the file
            # would otherwise be imported as if it were the whole file.
            raise InvalidRequest(
                "the body is not a readable multipart form: it ends before its closing boundary"
            )
    except FormParserError:
        raise InvalidRequest("the body is not a readable multipart form") from None
    finally:
        if reader.out is not None:
            reader.out.close()
    form = reader.form
    if form.path is None:
        raise InvalidRequest(f"the form has no file in the field {file_field!r}")
    if form.size == 0:
        raise FileRefused(f"{form.name} is empty")
    return form
