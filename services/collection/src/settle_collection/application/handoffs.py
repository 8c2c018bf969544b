"""Forwarding a case to its judicial collection partner, and the own partner's dossier.

A direct partner (from the registry) receives `CaseHandedOff` on `collection.handoffs.v1`,
staged in the same transaction as the case's move to pre-court. An own partner receives one
email with the dossier: a ZIP with a PDF summary, the invoices, the messages and the same
handoff document as JSON; the email goes out from a background loop that tries again with
doubling waits, its Message-ID made from the handoff's id."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from settle_collection.application.cases import (
    administration_context,
    debtor_of,
    load_case,
    store_case,
)
from settle_collection.application.context import CollectionContext
from settle_collection.application.ports import (
    Attachment,
    Handoff,
    MessageText,
    OutgoingMail,
    Store,
)
from settle_collection.application.publishing import CaseNews
from settle_collection.domain.balances import case_balance, interest_start, rate_kind
from settle_collection.domain.cases import Case, require_no_plan
from settle_collection.domain.errors import NoPartner, NotAllowed
from settle_collection.domain.parties import AdministrationSettings, Debtor
from settle_collection.domain.partners import forward, own_partner_chosen
from settle_collection.domain.timeline import (
    case_timeline,
    letter_proof,
    relevant_messages,
)
from settle_law.interest import RateTable
from settle_shared.events import collection as events
from settle_shared.logs import get_logger

log = get_logger(__name__)

ZIP = "application/zip"


def _address(address: object) -> events.HandoffAddress | None:
    if address is None:
        return None
    return events.HandoffAddress(
        lines=list(getattr(address, "lines", ())),
        postal_code=getattr(address, "postal_code", None),
        city=getattr(address, "city", None),
        country=getattr(address, "country", None),
    )


async def handoff_document(
    ctx: CollectionContext,
    store: Store,
    case: Case,
    debtor: Debtor,
    settings: AdministrationSettings,
    table: RateTable,
    today: date,
    handoff_id: str,
    partner_id: str,
) -> events.CaseHandedOff:
    """Everything a bailiff needs about a case, as of today."""
    balance = case_balance(case, today, table, settings.letter_delivery_days)
    messages = relevant_messages(
        case, await store.messages.of_debtor(case.administration_id, case.debtor_id)
    )
    letter = letter_proof(case, messages, settings)
    creditor = settings.creditor
    address = _address(debtor.address)
    return events.CaseHandedOff(
        handoff_id=handoff_id,
        administration_id=case.administration_id,
        case_id=case.case_id,
        partner_id=partner_id,
        handed_off_at=ctx.now(),
        creditor=events.HandoffCreditor(
            administration_id=case.administration_id,
            name=creditor.name or case.administration_id,
            email=creditor.email,
            phone=creditor.phone,
            address=_address(creditor.address),
            iban=creditor.iban,
            chamber_of_commerce=creditor.chamber_of_commerce,
        ),
        debtor=events.HandoffDebtor(
            debtor_id=debtor.debtor_id,
            number=debtor.number,
            name=debtor.name,
            kind="consumer" if debtor.consumer else "business",
            emails=list(debtor.emails),
            phone=debtor.phone,
            addresses=[address] if address is not None else [],
            language=debtor.language,
        ),
        invoices=[
            events.HandoffInvoice(
                invoice_id=invoice.invoice_id,
                number=invoice.number,
                invoice_date=invoice.invoice_date,
                due_date=invoice.due_date,
                amount=invoice.amount,
                principal=invoice.principal,
                currency=case.currency,
                pdf_url=invoice.pdf_url,
                interest_from=interest_start(case, invoice, settings.letter_delivery_days),
            )
            for invoice in case.invoices
        ],
        amounts=events.HandoffAmounts(
            currency=case.currency,
            principal=balance.principal_open,
            costs=balance.costs_open - balance.costs_vat_open,
            costs_vat=balance.costs_vat_open,
            interest=balance.interest_open,
            paid=balance.paid,
            total=balance.total,
            computed_on=today,
            interest_kind=rate_kind(case).value if balance.interest_claimed else None,
            interest_rates_confirmed=balance.rates_confirmed,
        ),
        timeline=[
            events.HandoffTimelineEntry(**entry.as_fields())
            for entry in case_timeline(case, messages)
        ],
        fourteen_day_letter=events.HandoffLetter(
            sent_on=letter.sent_on,
            received_on=letter.received_on,
            term_ends_on=letter.term_ends_on,
            channels=list(letter.channels),
            message_ids=list(letter.message_ids),
        )
        if letter is not None
        else None,
    )


async def forward_case(
    ctx: CollectionContext,
    store: Store,
    case: Case,
    settings: AdministrationSettings,
    table: RateTable,
    today: date,
    news: CaseNews,
) -> Case:
    """Hand the case to the administration's partner: the handoff event for a direct partner,
    the dossier's email for an own partner."""
    partner_id = settings.partner_id
    if partner_id is None:
        raise NoPartner()
    debtor = await debtor_of(store, case.administration_id, case.debtor_id)
    if not own_partner_chosen(partner_id):
        partner = ctx.partners.get(partner_id)
        if partner is None:
            raise NotAllowed(
                f"partner {partner_id!r} is not in the registry any more: choose another"
            )
        refusal = partner.refuses(case, debtor.address.country if debtor.address else None)
        if refusal is not None:
            raise NotAllowed(refusal)
    handoff_id = str(uuid.uuid4())
    document = await handoff_document(
        ctx, store, case, debtor, settings, table, today, handoff_id, partner_id
    )
    forwarded = forward(case, partner_id, handoff_id, today)
    own = own_partner_chosen(partner_id)
    await store.handoffs.add(
        Handoff(
            handoff_id=handoff_id,
            administration_id=case.administration_id,
            case_id=case.case_id,
            partner_id=partner_id,
            document=document.model_dump(mode="json"),
            created_at=ctx.now(),
            email_to=settings.partner_email if own else None,
        )
    )
    news.add(events.CaseForwarded, handoff_id=handoff_id, partner_id=partner_id)
    if not own:
        news.also(document)
    return forwarded


async def forward_by_hand(ctx: CollectionContext, administration_id: str, case_id: str) -> None:
    """A user forwards a case to the partner (at its last own step, or earlier)."""
    today = ctx.business_date()
    async with ctx.transaction() as store:
        settings, table = await administration_context(store, administration_id)
        case = await load_case(store, administration_id, case_id)
        require_no_plan(case, "be forwarded")
        news = CaseNews()
        forwarded = await forward_case(ctx, store, case, settings, table, today, news)
        await store_case(store, case, forwarded, news, today, table, settings)
    ctx.published()


# --- the own partner's dossier ------------------------------------------------------------

DOSSIER_BATCH = 20


def dossier_mail(handoff: Handoff, dossier: bytes, from_case: str) -> OutgoingMail:
    """The email that carries an own partner's dossier."""
    document = handoff.document
    debtor = document["debtor"]["name"]
    total = f"{document['amounts']['currency']} {document['amounts']['total']}"
    assert handoff.email_to is not None
    return OutgoingMail(
        message_id=f"<dossier-{handoff.handoff_id}@settle>",
        to=handoff.email_to,
        subject=f"Incassodossier {debtor} ({total})",
        text=(
            f"{document['creditor']['name']} draagt de vordering op {debtor} ter incasso aan u "
            f"over. Het dossier zit als ZIP in de bijlage: een samenvatting (PDF), de facturen, "
            f"de berichten aan de debiteur en het overdrachtsdocument als JSON.\n\n"
            f"Openstaand: {total}, berekend op {document['amounts']['computed_on']}.\n"
            f"Dossier {handoff.handoff_id}, {from_case}.\n"
        ),
        attachments=(Attachment(f"dossier-{handoff.case_id}.zip", dossier, ZIP),),
    )


async def send_dossiers(ctx: CollectionContext) -> int:
    """Email the dossiers of own partners that are due; returns how many went out."""
    if ctx.mailer is None or ctx.dossier_sources is None or ctx.write_dossier is None:
        return 0
    now = ctx.now()
    async with ctx.transaction() as store:
        due = await store.handoffs.emails_due(now, DOSSIER_BATCH)
    sent = 0
    for handoff in due:
        try:
            texts: list[MessageText] = await ctx.dossier_sources.message_texts(
                handoff.administration_id, handoff.document["debtor"]["debtor_id"]
            )
            pdfs: dict[str, bytes] = {}
            for invoice in handoff.document["invoices"]:
                if invoice.get("pdf_url"):
                    found = await ctx.dossier_sources.invoice_pdf(invoice["pdf_url"])
                    if found is not None:
                        pdfs[invoice["number"]] = found
            dossier = ctx.write_dossier(handoff.document, texts, pdfs)
            await ctx.mailer.send(dossier_mail(handoff, dossier, f"case {handoff.case_id}"))
        except Exception as exc:  # the mail server or messaging away: try again later
            wait = ctx.settings.dossier_retry_s * 2 ** min(handoff.attempts, 10)
            log.warning(
                "dossier not sent; trying again",
                handoff_id=handoff.handoff_id,
                error=repr(exc),
                wait_s=wait,
            )
            async with ctx.transaction() as store:
                await store.handoffs.email_failed(
                    handoff.handoff_id, repr(exc), now + timedelta(seconds=wait)
                )
            continue
        async with ctx.transaction() as store:
            await store.handoffs.emailed(handoff.handoff_id, ctx.now())
        log.info("dossier sent", handoff_id=handoff.handoff_id, to=handoff.email_to)
        sent += 1
    return sent
