"""What a case's steps say to the debtor. Collection writes the text, because it states the
case's amounts (principal, costs, interest) as the case has them on the day; messaging sends
it in the administration's layout. Dutch and English; another language gets the English text.

- reminder and second reminder: what is open and a request to pay within 14 days;
- notice of default (ingebrekestelling): a last term of 14 days, after which the claim goes to
  a bailiff, by email and by letter where a postal address is known (a written notice can be
  proven).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from settle_collection.domain.balances import Balance
from settle_collection.domain.cases import Case, Step
from settle_collection.domain.parties import Debtor

LANGUAGES = ("nl", "en")


def money(amount: Decimal, currency: str, language: str) -> str:
    """An amount as the debtor reads it: `€ 1.234,56` in Dutch, `EUR 1,234.56` otherwise."""
    text = f"{amount:,.2f}"
    if language == "nl":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
        return f"€ {text}" if currency == "EUR" else f"{currency} {text}"
    return f"{currency} {text}"


def day(value: date, language: str) -> str:
    """A date as the debtor reads it."""
    return value.strftime("%d-%m-%Y") if language == "nl" else value.isoformat()


@dataclass(frozen=True)
class StepMessage:
    """The message of a step: its text and the channels that reach the debtor."""

    language: str
    subject: str
    body: str
    channels: tuple[str, ...]


SUBJECTS = {
    ("nl", Step.REMINDER): "Herinnering: openstaande vordering {numbers}",
    ("nl", Step.SECOND_REMINDER): "Tweede herinnering: openstaande vordering {numbers}",
    ("nl", Step.NOTICE_OF_DEFAULT): "Ingebrekestelling: openstaande vordering {numbers}",
    ("en", Step.REMINDER): "Reminder: outstanding claim {numbers}",
    ("en", Step.SECOND_REMINDER): "Second reminder: outstanding claim {numbers}",
    ("en", Step.NOTICE_OF_DEFAULT): "Notice of default: outstanding claim {numbers}",
}
OPENINGS = {
    ("nl", Step.REMINDER): "Ondanks onze eerdere herinneringen hebben wij de betaling van "
    "onderstaande facturen nog niet ontvangen. De vordering is daarom in incasso genomen.",
    ("nl", Step.SECOND_REMINDER): "Wij hebben op onze herinnering geen betaling ontvangen. "
    "Onderstaande vordering staat nog open.",
    ("nl", Step.NOTICE_OF_DEFAULT): "Hierbij stellen wij u in gebreke voor de betaling van "
    "onderstaande vordering.",
    ("en", Step.REMINDER): "Despite our earlier reminders we have not received payment of the "
    "invoices below. The claim has therefore been taken into collection.",
    ("en", Step.SECOND_REMINDER): "We have received no payment after our reminder. The claim "
    "below is still outstanding.",
    ("en", Step.NOTICE_OF_DEFAULT): "We hereby give you notice of default for the payment of "
    "the claim below.",
}
CLOSINGS = {
    ("nl", False): "Wij verzoeken u het totaal binnen 14 dagen te betalen, onder vermelding "
    "van de factuurnummers.",
    ("nl", True): "Wij geven u een laatste termijn van 14 dagen om het totaal te betalen. "
    "Hebben wij het dan niet ontvangen, dan dragen wij de vordering over aan een "
    "gerechtsdeurwaarder, wat u extra kosten kan brengen.",
    ("en", False): "Please pay the total within 14 days, stating the invoice numbers.",
    ("en", True): "We give you a last term of 14 days to pay the total. If we have not received "
    "it by then, we will hand the claim to a bailiff, which may bring you further costs.",
}
LINES = {
    "nl": {
        "invoice": "Factuur {number} van {date}",
        "principal": "Hoofdsom",
        "costs": "Incassokosten",
        "interest": "Wettelijke rente tot {date}",
        "total": "Totaal",
        "greeting": "Geachte {name},",
    },
    "en": {
        "invoice": "Invoice {number} of {date}",
        "principal": "Principal",
        "costs": "Collection costs",
        "interest": "Statutory interest up to {date}",
        "total": "Total",
        "greeting": "Dear {name},",
    },
}


def step_channels(step: Step, debtor: Debtor) -> tuple[str, ...]:
    """Email where the debtor has an address; a letter for the notice of default (or when
    there is no email address) where a postal address is known."""
    postable = debtor.address is not None and debtor.address.postable
    channels: list[str] = []
    if debtor.emails:
        channels.append("email")
    if postable and (step is Step.NOTICE_OF_DEFAULT or not debtor.emails):
        channels.append("letter")
    return tuple(channels)


def step_message(
    case: Case, step: Step, debtor: Debtor, balance: Balance, today: date
) -> StepMessage | None:
    """The message a step sends, or None when the step sends none or no channel reaches
    the debtor."""
    if not step.sends_message:
        return None
    channels = step_channels(step, debtor)
    if not channels:
        return None
    language = debtor.language if debtor.language in LANGUAGES else "en"
    words = LINES[language]
    numbers = ", ".join(i.number for i in case.invoices)
    currency = case.currency
    lines = [words["greeting"].format(name=debtor.name), "", OPENINGS[(language, step)], ""]
    for invoice in case.invoices:
        label = words["invoice"].format(
            number=invoice.number, date=day(invoice.invoice_date, language)
        )
        lines.append(f"{label}: {money(invoice.principal, currency, language)}")
    lines += ["", f"{words['principal']}: {money(balance.principal_open, currency, language)}"]
    if balance.costs_open:
        lines.append(f"{words['costs']}: {money(balance.costs_open, currency, language)}")
    if balance.interest_open:
        label = words["interest"].format(date=day(today, language))
        lines.append(f"{label}: {money(balance.interest_open, currency, language)}")
    lines += [
        f"{words['total']}: {money(balance.total, currency, language)}",
        "",
        CLOSINGS[(language, step is Step.NOTICE_OF_DEFAULT)],
    ]
    return StepMessage(
        language=language,
        subject=SUBJECTS[(language, step)].format(numbers=numbers),
        body="\n".join(lines),
        channels=channels,
    )
