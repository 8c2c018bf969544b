"""Domain errors of the messaging service.

Each kind of refusal has its own exception so the service layer can map it in one place: to an
attention item (an undeliverable address), a dead letter (a malformed request) or an HTTP status
(a template an administrator tried to save). ``code`` is a stable name for that mapping and for
logs; ``str(error)`` is a sentence a user can read.
"""

from __future__ import annotations


class MessagingError(Exception):
    """Base of every refusal the messaging domain raises."""

    code = "messaging_error"


class NotFound(MessagingError):
    """The thing asked for does not exist in this administration."""

    code = "not_found"


class UnknownAdministration(NotFound):
    """An administration the gateway has not announced: it has no settings here."""

    code = "unknown_administration"

    def __init__(self, administration_id: str) -> None:
        super().__init__(
            f"unknown administration {administration_id!r}: administrations are created in the "
            "gateway (`settle gateway administration-create --administration "
            f"{administration_id} --name NAME --organisation ORGANISATION`, or POST "
            "/api/v1/administrations), and messaging knows one moments later"
        )


# --- templates -------------------------------------------------------------------------------


class TemplateError(MessagingError):
    """A template could not be found, compiled or rendered."""

    code = "template_error"


class TemplateNotFound(TemplateError):
    """No template (override or built-in) exists for a key in any acceptable language."""

    code = "template_not_found"


class TemplateInvalid(TemplateError):
    """A template's source does not compile (syntax error, unknown include)."""

    code = "template_invalid"


class TemplateSecurityError(TemplateError):
    """A template tried to reach Python internals or to exhaust resources; it is refused."""

    code = "template_unsafe"


class TemplateRenderError(TemplateError):
    """A template failed while rendering, e.g. it used a variable that does not exist."""

    code = "template_render_failed"


class TemplateContextError(TemplateError):
    """The context lacks something this kind of message must state (e.g. the collection costs)."""

    code = "template_context_incomplete"


class InvalidMessageContext(MessagingError):
    """The data given for a message is inconsistent (mixed currencies, an unusable link)."""

    code = "invalid_message_context"


# --- outgoing email --------------------------------------------------------------------------


class InvalidEmailAddress(MessagingError):
    """An email address is syntactically invalid: the message cannot be sent to it."""

    code = "invalid_email_address"

    def __init__(self, address: str, reason: str) -> None:
        # repr() so a CR/LF smuggled into the address shows up escaped in logs
        super().__init__(f"invalid email address {address!r}: {reason}")
        self.address = address
        self.reason = reason


class UnsafeHeaderValue(MessagingError):
    """A value destined for a mail header cannot be made safe (e.g. an identifier with CR/LF)."""

    code = "unsafe_header_value"


# --- letters ---------------------------------------------------------------------------------


class LetterError(MessagingError):
    """A letter cannot be produced."""

    code = "letter_error"


class MissingPostalAddress(LetterError):
    """The debtor has no postal address, so no letter can be sent."""

    code = "missing_postal_address"


# --- replies ---------------------------------------------------------------------------------


class InvalidReplyToken(MessagingError):
    """A reply token is refused; nothing from it may be stored."""

    code = "invalid_reply_token"


class MalformedReplyToken(InvalidReplyToken):
    """The token is not one this service could have issued."""

    code = "reply_token_malformed"


class TamperedReplyToken(InvalidReplyToken):
    """The token's signature does not match: it was altered or forged."""

    code = "reply_token_tampered"


class ExpiredReplyToken(InvalidReplyToken):
    """The token was genuine but its validity has ended."""

    code = "reply_token_expired"


class InvalidReplyAddress(MessagingError):
    """An inbound recipient is not a ``reply+<token>@<domain>`` address of this service."""

    code = "invalid_reply_address"


class InboundMailRefused(MessagingError):
    """An inbound mail is refused before anything of it is stored."""

    code = "inbound_mail_refused"


class InboundMailTooLarge(InboundMailRefused):
    """An inbound mail exceeds the configured size limit."""

    code = "inbound_mail_too_large"


class MalformedInboundMail(InboundMailRefused):
    """An inbound mail cannot be understood as a reply (no sender, no text, broken MIME)."""

    code = "inbound_mail_malformed"


# --- bounces ---------------------------------------------------------------------------------


class NotADeliveryReport(MessagingError):
    """A mail handed to the bounce classifier is not a delivery-status notification."""

    code = "not_a_delivery_report"


# --- message states --------------------------------------------------------------------------


class InvalidStateTransition(MessagingError):
    """A message cannot move from its current state to the requested one."""

    code = "invalid_state_transition"
