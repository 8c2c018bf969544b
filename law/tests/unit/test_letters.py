from datetime import date

import pytest

from settle_law.letters import fourteen_day_term

pytestmark = pytest.mark.unit


def test_the_fourteen_days_count_from_the_day_after_receipt() -> None:
    term = fourteen_day_term(date(2025, 6, 2), delivery_days=2)
    assert term.received_on == date(2025, 6, 4)
    assert term.term_ends_on == date(2025, 6, 18)
    assert term.costs_from == date(2025, 6, 19)
    assert not term.passed(date(2025, 6, 18))
    assert term.passed(date(2025, 6, 19))


def test_an_email_read_the_day_it_is_sent_gives_fifteen_days_before_costs() -> None:
    # The same fifteen days dunning waits after the letter before the flow ends.
    assert fourteen_day_term(date(2025, 6, 2), delivery_days=0).costs_from == date(2025, 6, 17)


def test_a_letter_never_arrives_before_it_is_sent() -> None:
    with pytest.raises(ValueError):
        fourteen_day_term(date(2025, 6, 2), delivery_days=-1)
