"""Inbound mail: a debtor's answer, read safely.

A reply is refused before anything is stored when it is too large or cannot be understood as a
mail with a sender and a text. Its text is kept as text: HTML sent by a debtor is converted to
plain text here and escaped by :func:`display_html` whenever it is shown, so nothing a debtor
writes is ever interpreted as markup in Settle.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email import errors as email_errors
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from settle_messaging.domain.errors import InboundMailTooLarge, MalformedInboundMail

#: Inbound mail larger than this is refused (the SMTP endpoint should announce it as SIZE).
DEFAULT_MAX_INBOUND_BYTES = 10 * 1024 * 1024
_MAX_PARTS = 100
_MAX_DEPTH = 8
_MAX_TEXT_CHARS = 200_000

# Defects that mean the MIME structure itself is broken, not merely sloppy.
_FATAL_DEFECTS = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
)


@dataclass(frozen=True, slots=True)
class InboundAttachment:
    """A file that came with a reply."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class InboundReply:
    """A parsed inbound mail.

    ``text`` is the new part of the answer (quoted history removed where it could be
    recognised); ``full_text`` is everything. Both are plain text, never markup.
    """

    sender: str
    sender_name: str | None
    recipients: tuple[str, ...]
    subject: str
    text: str
    full_text: str
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    from_html: bool
    is_auto_reply: bool
    attachments: tuple[InboundAttachment, ...]


# --- HTML to text ----------------------------------------------------------------------------

# Tags that start a new paragraph (a blank line) or only a new line.
_PARAGRAPH_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr",
     "section", "article", "header", "footer"}
)  # fmt: skip
_LINE_TAGS = frozenset({"div", "li", "tr", "dt", "dd"})
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
_QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote")
_QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base"})


class _TextExtractor(HTMLParser):
    def __init__(self, drop_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._drop_quotes = drop_quotes
        self._chunks: list[str] = []
        self._skip_depth = 0
        self._stack: list[bool] = []
        self._pending_breaks = 0

    def _is_quote(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if not self._drop_quotes:
            return False
        values = {name: (value or "").lower() for name, value in attrs}
        if tag == "blockquote":
            return True
        classes = values.get("class", "")
        return any(name in classes for name in _QUOTE_CLASSES) or values.get("id", "") in (
            _QUOTE_IDS
        )

    def _break(self, tag: str) -> None:
        if self._skip_depth or not self._chunks:
            return
        level = 2 if tag in _PARAGRAPH_TAGS else 1 if tag in _LINE_TAGS else 0
        self._pending_breaks = max(self._pending_breaks, level)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS:
            if tag == "br" and not self._skip_depth:
                self._chunks.append("\n" * self._pending_breaks + "\n")
                self._pending_breaks = 0
            else:
                self._break(tag)
            return
        skipping = tag in _SKIP_TAGS or self._is_quote(tag, attrs)
        self._stack.append(skipping)
        if skipping:
            self._skip_depth += 1
        else:
            self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS or not self._stack:
            return
        if self._stack.pop():
            self._skip_depth -= 1
        else:
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data)
        if not text.strip() and (self._pending_breaks or not self._chunks):
            return
        if self._pending_breaks:
            self._chunks.append("\n" * self._pending_breaks)
            self._pending_breaks = 0
        self._chunks.append(text)

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self._chunks).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str, *, drop_quotes: bool = False) -> str:
    """Turn HTML into plain text: tags removed, entities decoded, scripts and styles dropped.

    With ``drop_quotes``, quoted history (``blockquote``, Gmail/Outlook quote containers) is
    left out as well. The result is text and must still be escaped when shown as HTML.
    """
    extractor = _TextExtractor(drop_quotes)
    extractor.feed(markup)
    extractor.close()
    return extractor.text()


def display_html(text: str) -> str:
    """Make a debtor's text safe to show in a web page: every character escaped, line breaks
    kept as ``<br>``. Use this (or the page's own autoescaping) for all inbound text."""
    escaped = html.escape(text.replace("\r\n", "\n").replace("\r", "\n"), quote=True)
    return "<br>\n".join(escaped.split("\n"))


# --- quoted history --------------------------------------------------------------------------

_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote\s*:"
    r"|op\b.{0,200}\bschreef\b.{0,200}:"
    r"|am\b.{0,200}\bschrieb\b.{0,200}:"
    r"|le\b.{0,200}\ba\s+écrit\s*:"
    r")\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|op|am|le)\s", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:original message|oorspronkelijk bericht|origineel bericht|"
    r"ursprüngliche nachricht|originalnachricht|message d'origine|forwarded message|"
    r"doorgestuurd bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:from|van|von|de)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(?:sent|date|verzonden|datum|gesendet|envoyé|to|aan|an|à)\s*:", re.IGNORECASE
)


def _history_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if _ATTRIBUTION.match(line) or _SEPARATOR.match(line):
            return index
        # Gmail wraps a long attribution over two lines.
        if (
            _ATTRIBUTION_START.match(line)
            and index + 1 < len(lines)
            and _ATTRIBUTION.match(f"{line} {lines[index + 1]}")
        ):
            return index
        if _OUTLOOK_FROM.match(line) and any(
            _OUTLOOK_NEXT.match(following) for following in lines[index + 1 : index + 4]
        ):
            start = index
            if start > 0 and re.fullmatch(r"\s*_{10,}\s*", lines[start - 1]):
                start -= 1
            return start
    return None


def strip_quoted_history(text: str) -> str:
    """Remove the quoted earlier mail from a reply, where it can be recognised.

    Cuts at an attribution line ("On ... wrote:", "Op ... schreef ...:", "Am ... schrieb",
    "Le ... a écrit"), an "Original Message" separator or an Outlook header block, and drops
    ``>``-quoted lines. If nothing would be left, the text is returned unchanged: losing a
    debtor's words is worse than showing a quote.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _history_start(lines)
    if start is not None:
        lines = lines[:start]
    kept = [line for line in lines if not line.lstrip().startswith(">")]
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in kept)).strip()
    return result if result else text.strip()


# --- parsing ---------------------------------------------------------------------------------


def _decode_text(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
    except (LookupError, UnicodeError, AssertionError):
        content = None
    if isinstance(content, str):
        return content
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _check_structure(message: EmailMessage) -> None:
    count = 0

    def visit(part: Message, depth: int) -> None:
        nonlocal count
        count += 1
        if count > _MAX_PARTS:
            raise MalformedInboundMail(f"the mail has more than {_MAX_PARTS} parts")
        if depth > _MAX_DEPTH:
            raise MalformedInboundMail("the mail is nested too deeply")
        for defect in part.defects:
            if isinstance(defect, _FATAL_DEFECTS):
                raise MalformedInboundMail(f"broken MIME structure: {type(defect).__name__}")
        if part.is_multipart():
            payload = part.get_payload()
            if not isinstance(payload, list):
                raise MalformedInboundMail("a multipart part without parts")
            for child in payload:
                if not isinstance(child, Message):
                    raise MalformedInboundMail("a multipart part with a broken child")
                visit(child, depth + 1)

    visit(message, 0)


def _is_auto_reply(message: EmailMessage) -> bool:
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        auto_submitted != "no"
        or precedence in ("auto_reply", "bulk", "junk", "list")
        or "X-Autoreply" in message
        or "X-Autorespond" in message
        or str(message.get("X-Auto-Response-Suppress", "")).strip().lower() == "all"
    )


def _attachments(message: EmailMessage) -> tuple[InboundAttachment, ...]:
    found: list[InboundAttachment] = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        filename = part.get_filename() or "attachment"
        found.append(InboundAttachment(filename, part.get_content_type(), payload))
    return tuple(found)


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError) as exc:
        raise MalformedInboundMail(f"unreadable {name} header") from exc
    if value is None:
        return None
    return " ".join(str(value).split())


def parse_inbound_mail(raw: bytes, *, max_bytes: int = DEFAULT_MAX_INBOUND_BYTES) -> InboundReply:
    """Parse an inbound mail (a debtor's reply) into plain text and its routing headers.

    Raises ``InboundMailTooLarge`` above ``max_bytes`` (checked before parsing) and
    ``MalformedInboundMail`` when the mail has no usable sender, no text, or a broken MIME
    structure.
    """
    if not isinstance(raw, bytes | bytearray):
        raise MalformedInboundMail("an inbound mail is bytes")
    if len(raw) > max_bytes:
        raise InboundMailTooLarge(f"the mail is {len(raw)} bytes; at most {max_bytes} accepted")
    if not raw.strip():
        raise MalformedInboundMail("the mail is empty")
    try:
        message = BytesParser(policy=policy.default).parsebytes(bytes(raw))
    except (ValueError, TypeError, IndexError, email_errors.MessageError) as exc:
        raise MalformedInboundMail(f"the mail cannot be parsed: {exc}") from exc
    if not isinstance(message, EmailMessage) or not message.keys():
        raise MalformedInboundMail("the mail has no headers")
    _check_structure(message)

    from_header = _header(message, "From")
    if not from_header:
        raise MalformedInboundMail("the mail has no sender")
    sender_name, sender = parseaddr(from_header)
    if not sender or "@" not in sender:
        raise MalformedInboundMail(f"the sender {from_header!r} is not an address")

    address_headers = [_header(message, name) for name in ("To", "Cc")]
    recipients = tuple(
        address
        for _, address in getaddresses([value for value in address_headers if value])
        if address
    )

    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        raise MalformedInboundMail("the mail has no text")
    from_html = body.get_content_type() == "text/html"
    content = _decode_text(body)[:_MAX_TEXT_CHARS]
    if from_html:
        full_text = html_to_text(content)
        text = strip_quoted_history(html_to_text(content, drop_quotes=True) or full_text)
    else:
        full_text = content.replace("\r\n", "\n").strip()
        text = strip_quoted_history(full_text)

    references = tuple((_header(message, "References") or "").split())
    return InboundReply(
        sender=sender,
        sender_name=sender_name or None,
        recipients=recipients,
        subject=_header(message, "Subject") or "",
        text=text,
        full_text=full_text,
        message_id=_header(message, "Message-ID"),
        in_reply_to=_header(message, "In-Reply-To"),
        references=references,
        from_html=from_html,
        is_auto_reply=_is_auto_reply(message),
        attachments=_attachments(message),
    )
