"""What the portal says, in every language it speaks (domain/portal.LANGUAGES). Placeholders
in braces are filled by the templates (`{amount}`, `{number}`, …), after escaping."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "skip": "Naar de inhoud",
        "title_invoices": "Uw openstaande facturen",
        "intro": "Kies de facturen die u wilt betalen en betaal ze online.",
        "legend": "Te betalen facturen",
        "invoice": "Factuur",
        "invoice_date": "Factuurdatum",
        "due_date": "Vervaldatum",
        "open_amount": "Openstaand bedrag",
        "paid_online": "Online betaald, wordt verwerkt",
        "reminder_total": "Openstaand bedrag van de facturen in de herinnering: {amount}",
        "credit_note": "Af: uw creditnota {number}, {amount}",
        "due_after_credit": "Te betalen na aftrek van uw creditnota's: {amount}",
        "credit_not_deducted": "Een online betaling betaalt de gekozen facturen volledig; "
        "uw creditnota's worden daarbij niet afgetrokken.",
        "pay": "Gekozen facturen betalen",
        "pay_hint": "Op de volgende pagina kiest u hoe u betaalt (iDEAL, creditcard, Bancontact).",
        "nothing_open": "U heeft geen openstaande facturen bij ons. Dank u wel!",
        "no_longer_open": "Factuur {number} uit de herinnering staat niet meer open.",
        "reminders": "Herinneringen die wij u stuurden",
        "no_reminders": "Wij hebben u nog geen herinnering gestuurd.",
        "invoices": "Facturen",
        "payments": "Uw online betalingen",
        "questions": "Vragen, of klopt er iets niet? Stuur ons een bericht.",
        "reply_title": "Stuur {administration} een bericht",
        "reply_label": "Uw bericht",
        "reply_send": "Versturen",
        "reply_thanks": "Bedankt, uw bericht is ontvangen.",
        "reply_empty": "Schrijf eerst een bericht.",
        "reply_too_long": "Uw bericht is te lang: gebruik ten hoogste 20.000 tekens.",
        "reply_failed": "Uw bericht kon nu niet worden verstuurd. "
        "Probeer het over een paar minuten opnieuw.",
        "reply_not_possible": "Met deze link kunt u niet reageren. "
        "Antwoord op de e-mail met uw herinnering.",
        "back": "Terug naar uw facturen",
        "none_chosen": "Kies ten minste één factuur om te betalen.",
        "not_yours": "Een van de gekozen facturen kan hier niet worden betaald.",
        "not_open": "Een van de gekozen facturen staat niet meer open. De lijst is bijgewerkt.",
        "already_paid_online": "Een van de gekozen facturen is al online betaald.",
        "currencies": "Facturen in verschillende valuta kunnen niet in één keer worden betaald. "
        "Kies facturen in één valuta.",
        "refused": "Deze facturen kunnen nu niet online worden betaald. "
        "De lijst is bijgewerkt; kijk die na en probeer het opnieuw.",
        "unavailable_title": "Online betalen is nu niet mogelijk",
        "unavailable": "Er is niets betaald of afgeschreven. "
        "Probeer het over een paar minuten opnieuw.",
        "outcome_paid": "Bedankt voor uw betaling",
        "outcome_pending": "Uw betaling wordt verwerkt",
        "outcome_failed": "Uw betaling is niet gelukt",
        "sentence_paid": "Wij hebben uw betaling van {amount} ontvangen. "
        "Zolang wij uw betaling verwerken, sturen wij voor deze facturen geen herinneringen.",
        "sentence_open": "Uw betaling van {amount} is nog niet afgerond. "
        "Als u heeft betaald, ziet u dat hier over enkele minuten.",
        "sentence_pending": "Uw betaling van {amount} wordt door uw bank verwerkt. "
        "Dat kan even duren; u hoeft niet opnieuw te betalen.",
        "sentence_failed": "De betaling van {amount} is mislukt. Er is geen geld afgeschreven. "
        "U kunt het opnieuw proberen.",
        "sentence_canceled": "U heeft de betaling van {amount} geannuleerd. "
        "Er is geen geld afgeschreven. U kunt het opnieuw proberen.",
        "sentence_expired": "De betaling van {amount} is verlopen voordat deze werd afgerond. "
        "Er is geen geld afgeschreven. U kunt het opnieuw proberen.",
        "sentence_refunded": "De betaling van {amount} is aan u terugbetaald.",
        "sentence_charged_back": "De betaling van {amount} is door uw bank teruggeboekt.",
        "check_again": "Opnieuw controleren",
        "try_again": "Opnieuw proberen",
        "outcome_unknown_title": "Uw betaling kan nu niet worden gecontroleerd",
        "outcome_unknown": "Als u heeft betaald, hoeft u niet opnieuw te betalen; "
        "het wordt hier later zichtbaar.",
        "payment_not_found": "Wij kunnen deze betaling niet vinden.",
        "invalid_title": "Deze link is niet (meer) geldig",
        "invalid": "Gebruik de link in uw meest recente herinnering, of neem contact met ons op.",
        "too_many_title": "Te veel pogingen",
        "too_many": "Probeer het over {minutes} minuten opnieuw.",
        "expired_form_title": "Deze pagina is verlopen",
        "expired_form": "Voor uw veiligheid is er niets gebeurd. "
        "Open de pagina opnieuw en probeer het nog eens.",
        "language": "Taal",
        "channel_email": "e-mail",
        "channel_letter": "brief",
        "channel_sms": "sms",
        "status_open": "wacht op betaling",
        "status_pending": "wordt verwerkt",
        "status_authorized": "wordt verwerkt",
        "status_paid": "betaald",
        "status_failed": "mislukt",
        "status_canceled": "geannuleerd",
        "status_expired": "verlopen",
        "status_refunded": "terugbetaald",
        "status_charged_back": "teruggeboekt door uw bank",
        "plan_link": "Kunt u niet in één keer betalen? Stel een betalingsregeling voor.",
        "plan_title": "Een betalingsregeling voorstellen",
        "plan_intro": "Kies de facturen, hoe u wilt betalen en vanaf wanneer. "
        "Wij beoordelen uw voorstel en laten u weten of het is "
        "goedgekeurd; zolang ontvangt u geen herinneringen voor "
        "deze facturen.",
        "plan_invoices": "Facturen in de regeling",
        "plan_instalments": "Hoe wilt u betalen?",
        "plan_once": "In één keer, op een latere datum",
        "plan_monthly": "In {count} maandelijkse termijnen",
        "plan_first_date": "Eerste betaling op",
        "plan_reason": "Waarom heeft u een regeling nodig? (niet verplicht)",
        "plan_send": "Voorstel versturen",
        "plan_check": "Controleer de datum (vandaag of later) en het aantal termijnen.",
        "plan_none_chosen": "Kies ten minste één factuur voor de regeling.",
        "plan_not_possible": "Voor deze facturen kan nu geen regeling worden "
        "voorgesteld (misschien is er al een). Stuur ons een "
        "bericht.",
        "plan_failed": "Uw voorstel kon nu niet worden verstuurd. Probeer het "
        "over een paar minuten opnieuw.",
        "plan_thanks_title": "Bedankt voor uw voorstel",
        "plan_thanks": "Wij beoordelen uw voorstel en laten u weten of het is "
        "goedgekeurd. Zolang ontvangt u geen herinneringen voor "
        "deze facturen.",
        "plan_offer_title": "Ons aanbod",
        "plan_offer": "Voor uw openstaande bedrag van {amount} kunt u betalen in ten hoogste "
        "{count} maandelijkse termijnen, de eerste binnen {days} dagen. Een regeling binnen "
        "dit aanbod gaat meteen in, zonder dat wij die eerst hoeven goed te keuren.",
        "plan_started_title": "Uw betalingsregeling is ingegaan",
        "plan_started": "U ontvangt het schema per e-mail, met vóór elke termijn een herinnering "
        "en een betaallink. Zolang de regeling loopt ontvangt u voor deze facturen geen andere "
        "herinneringen.",
        "instalment_title": "Termijn {number} van uw betalingsregeling",
        "instalment_due": "Te betalen: {amount}, uiterlijk op {date}.",
        "instalment_pay": "{amount} betalen",
        "instalment_paid": "Deze termijn is betaald. Dank u wel!",
        "instalment_not_payable": "Deze termijn kan niet (meer) online worden betaald. Neem"
        " contact met ons op.",
        "instalment_refused": "Deze termijn kan nu niet online worden betaald; "
        "misschien wordt er al een betaling verwerkt.",
        "plan_schedule": "Uw betalingsregeling",
        "plan_instalment": "Termijn",
        "plan_amount": "Bedrag",
        "plan_state": "Status",
        "state_open": "Open",
        "state_paid": "Betaald",
        "state_missed": "Niet op tijd betaald",
    },
    "en": {
        "skip": "Skip to content",
        "title_invoices": "Your open invoices",
        "intro": "Choose the invoices you want to pay and pay them online.",
        "legend": "Invoices to pay",
        "invoice": "Invoice",
        "invoice_date": "Invoice date",
        "due_date": "Due date",
        "open_amount": "Amount due",
        "paid_online": "Paid online, being processed",
        "reminder_total": "Amount due of the invoices in the reminder: {amount}",
        "credit_note": "Less: your credit note {number}, {amount}",
        "due_after_credit": "To pay after your credit notes: {amount}",
        "credit_not_deducted": "An online payment pays the chosen invoices in full; "
        "your credit notes are not deducted from it.",
        "pay": "Pay the chosen invoices",
        "pay_hint": "You choose how to pay (iDEAL, card, Bancontact) on the next page.",
        "nothing_open": "You have no open invoices with us. Thank you!",
        "no_longer_open": "Invoice {number} from the reminder is no longer open.",
        "reminders": "Reminders we sent you",
        "no_reminders": "We have not sent you a reminder yet.",
        "invoices": "Invoices",
        "payments": "Your online payments",
        "questions": "Questions, or something not right? Send us a message.",
        "reply_title": "Send a message to {administration}",
        "reply_label": "Your message",
        "reply_send": "Send",
        "reply_thanks": "Thank you, your message has been received.",
        "reply_empty": "Please write a message first.",
        "reply_too_long": "Your message is too long: use at most 20,000 characters.",
        "reply_failed": "Your message could not be sent right now. "
        "Please try again in a few minutes.",
        "reply_not_possible": "You cannot reply with this link. "
        "Please answer the email with your reminder.",
        "back": "Back to your invoices",
        "none_chosen": "Choose at least one invoice to pay.",
        "not_yours": "One of the chosen invoices cannot be paid here.",
        "not_open": "One of the chosen invoices is no longer open. The list has been updated.",
        "already_paid_online": "One of the chosen invoices has already been paid online.",
        "currencies": "Invoices in different currencies cannot be paid at once. "
        "Choose invoices in one currency.",
        "refused": "These invoices cannot be paid online right now. "
        "The list has been updated; please check it and try again.",
        "unavailable_title": "Online payment is not available right now",
        "unavailable": "Nothing has been paid or charged. Please try again in a few minutes.",
        "outcome_paid": "Thank you for your payment",
        "outcome_pending": "Your payment is being processed",
        "outcome_failed": "Your payment did not go through",
        "sentence_paid": "We have received your payment of {amount}. "
        "While we process your payment, we send no reminders for these invoices.",
        "sentence_open": "Your payment of {amount} has not been completed yet. "
        "If you have paid, it will show here in a few minutes.",
        "sentence_pending": "Your payment of {amount} is being processed by your bank. "
        "This can take a little while; you do not need to pay again.",
        "sentence_failed": "The payment of {amount} failed. No money has been taken. "
        "You can try again.",
        "sentence_canceled": "You canceled the payment of {amount}. No money has been taken. "
        "You can try again.",
        "sentence_expired": "The payment of {amount} expired before it was completed. "
        "No money has been taken. You can try again.",
        "sentence_refunded": "The payment of {amount} has been refunded to you.",
        "sentence_charged_back": "The payment of {amount} was reversed by your bank.",
        "check_again": "Check again",
        "try_again": "Try again",
        "outcome_unknown_title": "Your payment cannot be checked right now",
        "outcome_unknown": "If you have paid, you do not need to pay again; "
        "it will show here later.",
        "payment_not_found": "We cannot find this payment.",
        "invalid_title": "This link is not valid (any more)",
        "invalid": "Please use the link in your most recent reminder, or contact us.",
        "too_many_title": "Too many attempts",
        "too_many": "Please try again in {minutes} minutes.",
        "expired_form_title": "This page has expired",
        "expired_form": "For your safety nothing was done. "
        "Please open the page again and repeat what you did.",
        "language": "Language",
        "channel_email": "email",
        "channel_letter": "letter",
        "channel_sms": "text message",
        "status_open": "waiting for payment",
        "status_pending": "being processed",
        "status_authorized": "being processed",
        "status_paid": "paid",
        "status_failed": "failed",
        "status_canceled": "canceled",
        "status_expired": "expired",
        "status_refunded": "refunded",
        "status_charged_back": "reversed by your bank",
        "plan_link": "Cannot pay all at once? Propose a payment plan.",
        "plan_title": "Propose a payment plan",
        "plan_intro": "Choose the invoices, how you would like to pay and from "
        "when. We will look at your proposal and let you know "
        "whether it is approved; meanwhile you receive no "
        "reminders for these invoices.",
        "plan_invoices": "Invoices in the plan",
        "plan_instalments": "How would you like to pay?",
        "plan_once": "All at once, on a later date",
        "plan_monthly": "In {count} monthly instalments",
        "plan_first_date": "First payment on",
        "plan_reason": "Why do you need a payment plan? (optional)",
        "plan_send": "Send proposal",
        "plan_check": "Check the date (today or later) and the number of instalments.",
        "plan_none_chosen": "Choose at least one invoice for the plan.",
        "plan_not_possible": "A plan cannot be proposed for these invoices now (there "
        "may be one already). Send us a message.",
        "plan_failed": "Your proposal could not be sent right now. Please try "
        "again in a few minutes.",
        "plan_thanks_title": "Thank you for your proposal",
        "plan_thanks": "We will look at your proposal and let you know whether "
        "it is approved. Meanwhile you receive no reminders for "
        "these invoices.",
        "plan_offer_title": "Our offer",
        "plan_offer": "For your open amount of {amount} you can pay in up to {count} monthly "
        "instalments, the first within {days} days. A plan within this offer starts at "
        "once, without waiting for our approval.",
        "plan_started_title": "Your payment plan has started",
        "plan_started": "You will receive the schedule by email, with a reminder and a payment "
        "link before each instalment. While the plan runs you will receive no other reminders "
        "for these invoices.",
        "instalment_title": "Instalment {number} of your payment plan",
        "instalment_due": "To pay: {amount}, by {date}.",
        "instalment_pay": "Pay {amount}",
        "instalment_paid": "This instalment is paid. Thank you!",
        "instalment_not_payable": "This instalment cannot be paid online (any more). Please"
        " contact us.",
        "instalment_refused": "This instalment cannot be paid online right now; a "
        "payment may be in progress already.",
        "plan_schedule": "Your payment plan",
        "plan_instalment": "Instalment",
        "plan_amount": "Amount",
        "plan_state": "Status",
        "state_open": "Open",
        "state_paid": "Paid",
        "state_missed": "Not paid on time",
    },
    "de": {
        "skip": "Zum Inhalt",
        "title_invoices": "Ihre offenen Rechnungen",
        "intro": "Wählen Sie die Rechnungen, die Sie bezahlen möchten, "
        "und bezahlen Sie sie online.",
        "legend": "Zu zahlende Rechnungen",
        "invoice": "Rechnung",
        "invoice_date": "Rechnungsdatum",
        "due_date": "Fälligkeitsdatum",
        "open_amount": "Offener Betrag",
        "paid_online": "Online bezahlt, wird verarbeitet",
        "reminder_total": "Offener Betrag der Rechnungen in der Mahnung: {amount}",
        "credit_note": "Abzüglich Ihrer Gutschrift {number}: {amount}",
        "due_after_credit": "Zu zahlen nach Abzug Ihrer Gutschriften: {amount}",
        "credit_not_deducted": "Eine Online-Zahlung bezahlt die ausgewählten Rechnungen "
        "vollständig; Ihre Gutschriften werden dabei nicht abgezogen.",
        "pay": "Ausgewählte Rechnungen bezahlen",
        "pay_hint": "Auf der nächsten Seite wählen Sie, wie Sie bezahlen "
        "(iDEAL, Kreditkarte, Bancontact).",
        "nothing_open": "Sie haben keine offenen Rechnungen bei uns. Vielen Dank!",
        "no_longer_open": "Die Rechnung {number} aus der Mahnung ist nicht mehr offen.",
        "reminders": "Mahnungen, die wir Ihnen gesendet haben",
        "no_reminders": "Wir haben Ihnen noch keine Mahnung gesendet.",
        "invoices": "Rechnungen",
        "payments": "Ihre Online-Zahlungen",
        "questions": "Fragen, oder stimmt etwas nicht? Schreiben Sie uns eine Nachricht.",
        "reply_title": "Nachricht an {administration}",
        "reply_label": "Ihre Nachricht",
        "reply_send": "Senden",
        "reply_thanks": "Vielen Dank, Ihre Nachricht ist eingegangen.",
        "reply_empty": "Bitte schreiben Sie zuerst eine Nachricht.",
        "reply_too_long": "Ihre Nachricht ist zu lang: höchstens 20.000 Zeichen.",
        "reply_failed": "Ihre Nachricht konnte gerade nicht gesendet werden. "
        "Bitte versuchen Sie es in ein paar Minuten erneut.",
        "reply_not_possible": "Mit diesem Link können Sie nicht antworten. "
        "Bitte antworten Sie auf die E-Mail mit Ihrer Mahnung.",
        "back": "Zurück zu Ihren Rechnungen",
        "none_chosen": "Wählen Sie mindestens eine Rechnung aus.",
        "not_yours": "Eine der ausgewählten Rechnungen kann hier nicht bezahlt werden.",
        "not_open": "Eine der ausgewählten Rechnungen ist nicht mehr offen. "
        "Die Liste wurde aktualisiert.",
        "already_paid_online": "Eine der ausgewählten Rechnungen wurde bereits online bezahlt.",
        "currencies": "Rechnungen in verschiedenen Währungen können nicht zusammen bezahlt "
        "werden. Wählen Sie Rechnungen in einer Währung.",
        "refused": "Diese Rechnungen können gerade nicht online bezahlt werden. "
        "Die Liste wurde aktualisiert; bitte prüfen Sie sie und versuchen Sie es erneut.",
        "unavailable_title": "Online-Zahlung ist gerade nicht möglich",
        "unavailable": "Es wurde nichts bezahlt oder abgebucht. "
        "Bitte versuchen Sie es in ein paar Minuten erneut.",
        "outcome_paid": "Vielen Dank für Ihre Zahlung",
        "outcome_pending": "Ihre Zahlung wird bearbeitet",
        "outcome_failed": "Ihre Zahlung war nicht erfolgreich",
        "sentence_paid": "Wir haben Ihre Zahlung von {amount} erhalten. "
        "Solange wir Ihre Zahlung bearbeiten, senden wir für diese Rechnungen keine Mahnungen.",
        "sentence_open": "Ihre Zahlung von {amount} ist noch nicht abgeschlossen. "
        "Wenn Sie bezahlt haben, sehen Sie das hier in wenigen Minuten.",
        "sentence_pending": "Ihre Zahlung von {amount} wird von Ihrer Bank bearbeitet. "
        "Das kann etwas dauern; Sie müssen nicht erneut bezahlen.",
        "sentence_failed": "Die Zahlung von {amount} ist fehlgeschlagen. "
        "Es wurde kein Geld abgebucht. Sie können es erneut versuchen.",
        "sentence_canceled": "Sie haben die Zahlung von {amount} abgebrochen. "
        "Es wurde kein Geld abgebucht. Sie können es erneut versuchen.",
        "sentence_expired": "Die Zahlung von {amount} ist abgelaufen, bevor sie abgeschlossen "
        "wurde. Es wurde kein Geld abgebucht. Sie können es erneut versuchen.",
        "sentence_refunded": "Die Zahlung von {amount} wurde Ihnen erstattet.",
        "sentence_charged_back": "Die Zahlung von {amount} wurde von Ihrer Bank zurückgebucht.",
        "check_again": "Erneut prüfen",
        "try_again": "Erneut versuchen",
        "outcome_unknown_title": "Ihre Zahlung kann gerade nicht geprüft werden",
        "outcome_unknown": "Wenn Sie bezahlt haben, müssen Sie nicht erneut bezahlen; "
        "die Zahlung wird hier später angezeigt.",
        "payment_not_found": "Wir können diese Zahlung nicht finden.",
        "invalid_title": "Dieser Link ist nicht (mehr) gültig",
        "invalid": "Verwenden Sie den Link in Ihrer letzten Mahnung "
        "oder nehmen Sie Kontakt mit uns auf.",
        "too_many_title": "Zu viele Versuche",
        "too_many": "Bitte versuchen Sie es in {minutes} Minuten erneut.",
        "expired_form_title": "Diese Seite ist abgelaufen",
        "expired_form": "Zu Ihrer Sicherheit wurde nichts ausgeführt. "
        "Öffnen Sie die Seite erneut und versuchen Sie es noch einmal.",
        "language": "Sprache",
        "channel_email": "E-Mail",
        "channel_letter": "Brief",
        "channel_sms": "SMS",
        "status_open": "wartet auf Zahlung",
        "status_pending": "wird bearbeitet",
        "status_authorized": "wird bearbeitet",
        "status_paid": "bezahlt",
        "status_failed": "fehlgeschlagen",
        "status_canceled": "abgebrochen",
        "status_expired": "abgelaufen",
        "status_refunded": "erstattet",
        "status_charged_back": "von Ihrer Bank zurückgebucht",
        "plan_link": "Sie können nicht alles auf einmal bezahlen? Schlagen Sie"
        " eine Ratenzahlung vor.",
        "plan_title": "Eine Ratenzahlung vorschlagen",
        "plan_intro": "Wählen Sie die Rechnungen, wie Sie zahlen möchten und ab"
        " wann. Wir prüfen Ihren Vorschlag und teilen Ihnen mit, "
        "ob er angenommen ist; bis dahin erhalten Sie für diese "
        "Rechnungen keine Erinnerungen.",
        "plan_invoices": "Rechnungen in der Ratenzahlung",
        "plan_instalments": "Wie möchten Sie zahlen?",
        "plan_once": "Auf einmal, zu einem späteren Datum",
        "plan_monthly": "In {count} monatlichen Raten",
        "plan_first_date": "Erste Zahlung am",
        "plan_reason": "Warum brauchen Sie eine Ratenzahlung? (freiwillig)",
        "plan_send": "Vorschlag senden",
        "plan_check": "Prüfen Sie das Datum (heute oder später) und die Zahl der Raten.",
        "plan_none_chosen": "Wählen Sie mindestens eine Rechnung.",
        "plan_not_possible": "Für diese Rechnungen kann jetzt keine Ratenzahlung "
        "vorgeschlagen werden (vielleicht gibt es schon eine). "
        "Schreiben Sie uns.",
        "plan_failed": "Ihr Vorschlag konnte gerade nicht gesendet werden. Bitte"
        " versuchen Sie es in einigen Minuten erneut.",
        "plan_thanks_title": "Vielen Dank für Ihren Vorschlag",
        "plan_thanks": "Wir prüfen Ihren Vorschlag und teilen Ihnen mit, ob er "
        "angenommen ist. Bis dahin erhalten Sie für diese "
        "Rechnungen keine Erinnerungen.",
        "plan_offer_title": "Unser Angebot",
        "plan_offer": "Für Ihren offenen Betrag von {amount} können Sie in höchstens {count} "
        "monatlichen Raten zahlen, die erste innerhalb von {days} Tagen. Eine "
        "Ratenzahlung innerhalb dieses Angebots beginnt sofort, ohne dass wir sie erst "
        "genehmigen müssen.",
        "plan_started_title": "Ihre Ratenzahlung hat begonnen",
        "plan_started": "Sie erhalten den Zahlungsplan per E-Mail, mit einer Erinnerung und einem "
        "Zahlungslink vor jeder Rate. Solange die Ratenzahlung läuft, erhalten Sie für "
        "diese Rechnungen keine anderen Erinnerungen.",
        "instalment_title": "Rate {number} Ihrer Ratenzahlung",
        "instalment_due": "Zu zahlen: {amount}, bis zum {date}.",
        "instalment_pay": "{amount} bezahlen",
        "instalment_paid": "Diese Rate ist bezahlt. Vielen Dank!",
        "instalment_not_payable": "Diese Rate kann nicht (mehr) online bezahlt werden. "
        "Bitte wenden Sie sich an uns.",
        "instalment_refused": "Diese Rate kann gerade nicht online bezahlt werden; "
        "vielleicht wird schon eine Zahlung verarbeitet.",
        "plan_schedule": "Ihre Ratenzahlung",
        "plan_instalment": "Rate",
        "plan_amount": "Betrag",
        "plan_state": "Status",
        "state_open": "Offen",
        "state_paid": "Bezahlt",
        "state_missed": "Nicht rechtzeitig bezahlt",
    },
    "fr": {
        "skip": "Aller au contenu",
        "title_invoices": "Vos factures à régler",
        "intro": "Choisissez les factures que vous souhaitez régler et payez-les en ligne.",
        "legend": "Factures à payer",
        "invoice": "Facture",
        "invoice_date": "Date de facture",
        "due_date": "Date d'échéance",
        "open_amount": "Montant dû",
        "paid_online": "Payée en ligne, en cours de traitement",
        "reminder_total": "Montant dû des factures du rappel : {amount}",
        "credit_note": "Moins votre avoir {number} : {amount}",
        "due_after_credit": "À payer après déduction de vos avoirs : {amount}",
        "credit_not_deducted": "Un paiement en ligne règle les factures choisies en totalité ; "
        "vos avoirs n'en sont pas déduits.",
        "pay": "Payer les factures choisies",
        "pay_hint": "Vous choisissez votre moyen de paiement (iDEAL, carte, Bancontact) "
        "à la page suivante.",
        "nothing_open": "Vous n'avez aucune facture à régler chez nous. Merci !",
        "no_longer_open": "La facture {number} du rappel n'est plus à régler.",
        "reminders": "Rappels que nous vous avons envoyés",
        "no_reminders": "Nous ne vous avons pas encore envoyé de rappel.",
        "invoices": "Factures",
        "payments": "Vos paiements en ligne",
        "questions": "Des questions, ou quelque chose ne va pas ? Envoyez-nous un message.",
        "reply_title": "Envoyer un message à {administration}",
        "reply_label": "Votre message",
        "reply_send": "Envoyer",
        "reply_thanks": "Merci, votre message a bien été reçu.",
        "reply_empty": "Veuillez d'abord écrire un message.",
        "reply_too_long": "Votre message est trop long : 20 000 caractères au maximum.",
        "reply_failed": "Votre message n'a pas pu être envoyé pour le moment. "
        "Veuillez réessayer dans quelques minutes.",
        "reply_not_possible": "Ce lien ne permet pas de répondre. "
        "Veuillez répondre à l'e-mail de votre rappel.",
        "back": "Retour à vos factures",
        "none_chosen": "Choisissez au moins une facture à payer.",
        "not_yours": "L'une des factures choisies ne peut pas être payée ici.",
        "not_open": "L'une des factures choisies n'est plus à régler. La liste a été mise à jour.",
        "already_paid_online": "L'une des factures choisies a déjà été payée en ligne.",
        "currencies": "Des factures en devises différentes ne peuvent pas être payées "
        "ensemble. Choisissez des factures dans une seule devise.",
        "refused": "Ces factures ne peuvent pas être payées en ligne pour le moment. "
        "La liste a été mise à jour ; vérifiez-la et réessayez.",
        "unavailable_title": "Le paiement en ligne est momentanément indisponible",
        "unavailable": "Rien n'a été payé ni débité. Veuillez réessayer dans quelques minutes.",
        "outcome_paid": "Merci pour votre paiement",
        "outcome_pending": "Votre paiement est en cours de traitement",
        "outcome_failed": "Votre paiement n'a pas abouti",
        "sentence_paid": "Nous avons bien reçu votre paiement de {amount}. "
        "Tant que nous traitons votre paiement, nous n'envoyons pas de rappel pour ces factures.",
        "sentence_open": "Votre paiement de {amount} n'est pas encore finalisé. "
        "Si vous avez payé, cela apparaîtra ici dans quelques minutes.",
        "sentence_pending": "Votre paiement de {amount} est en cours de traitement par votre "
        "banque. Cela peut prendre un peu de temps ; vous n'avez pas besoin de payer à nouveau.",
        "sentence_failed": "Le paiement de {amount} a échoué. Aucun montant n'a été débité. "
        "Vous pouvez réessayer.",
        "sentence_canceled": "Vous avez annulé le paiement de {amount}. "
        "Aucun montant n'a été débité. Vous pouvez réessayer.",
        "sentence_expired": "Le paiement de {amount} a expiré avant d'être finalisé. "
        "Aucun montant n'a été débité. Vous pouvez réessayer.",
        "sentence_refunded": "Le paiement de {amount} vous a été remboursé.",
        "sentence_charged_back": "Le paiement de {amount} a été rejeté par votre banque.",
        "check_again": "Vérifier à nouveau",
        "try_again": "Réessayer",
        "outcome_unknown_title": "Votre paiement ne peut pas être vérifié pour le moment",
        "outcome_unknown": "Si vous avez payé, vous n'avez pas besoin de payer à nouveau ; "
        "il apparaîtra ici plus tard.",
        "payment_not_found": "Nous ne trouvons pas ce paiement.",
        "invalid_title": "Ce lien n'est pas (ou plus) valable",
        "invalid": "Utilisez le lien de votre dernier rappel, ou contactez-nous.",
        "too_many_title": "Trop de tentatives",
        "too_many": "Veuillez réessayer dans {minutes} minutes.",
        "expired_form_title": "Cette page a expiré",
        "expired_form": "Par sécurité, rien n'a été fait. Rouvrez la page et recommencez.",
        "language": "Langue",
        "channel_email": "e-mail",
        "channel_letter": "courrier",
        "channel_sms": "SMS",
        "status_open": "en attente de paiement",
        "status_pending": "en cours de traitement",
        "status_authorized": "en cours de traitement",
        "status_paid": "payé",
        "status_failed": "échoué",
        "status_canceled": "annulé",
        "status_expired": "expiré",
        "status_refunded": "remboursé",
        "status_charged_back": "rejeté par votre banque",
        "plan_link": "Vous ne pouvez pas tout payer en une fois ? Proposez un échéancier.",
        "plan_title": "Proposer un échéancier",
        "plan_intro": "Choisissez les factures, la manière de payer et à partir"
        " de quand. Nous examinerons votre proposition et vous "
        "dirons si elle est acceptée ; entre-temps, vous ne "
        "recevez pas de rappels pour ces factures.",
        "plan_invoices": "Factures de l'échéancier",
        "plan_instalments": "Comment souhaitez-vous payer ?",
        "plan_once": "En une fois, à une date ultérieure",
        "plan_monthly": "En {count} mensualités",
        "plan_first_date": "Premier paiement le",
        "plan_reason": "Pourquoi avez-vous besoin d'un échéancier ? (facultatif)",
        "plan_send": "Envoyer la proposition",
        "plan_check": "Vérifiez la date (aujourd'hui ou plus tard) et le nombre d'échéances.",
        "plan_none_chosen": "Choisissez au moins une facture.",
        "plan_not_possible": "Aucun échéancier ne peut être proposé pour ces factures "
        "maintenant (il en existe peut-être déjà un). "
        "Envoyez-nous un message.",
        "plan_failed": "Votre proposition n'a pas pu être envoyée. Réessayez "
        "dans quelques minutes.",
        "plan_thanks_title": "Merci pour votre proposition",
        "plan_thanks": "Nous examinerons votre proposition et vous dirons si "
        "elle est acceptée. Entre-temps, vous ne recevez pas de "
        "rappels pour ces factures.",
        "plan_offer_title": "Notre offre",
        "plan_offer": "Pour votre montant dû de {amount}, vous pouvez payer en {count} mensualités "
        "au plus, la première dans les {days} jours. Un échéancier dans le cadre de cette "
        "offre commence aussitôt, sans attendre notre accord.",
        "plan_started_title": "Votre échéancier a commencé",
        "plan_started": "Vous recevrez le calendrier par e-mail, avec un rappel et un lien de "
        "paiement avant chaque échéance. Tant que l'échéancier court, vous ne recevez pas "
        "d'autres rappels pour ces factures.",
        "instalment_title": "Échéance {number} de votre échéancier",
        "instalment_due": "À payer : {amount}, au plus tard le {date}.",
        "instalment_pay": "Payer {amount}",
        "instalment_paid": "Cette échéance est payée. Merci !",
        "instalment_not_payable": "Cette échéance ne peut pas (plus) être payée en ligne. "
        "Contactez-nous.",
        "instalment_refused": "Cette échéance ne peut pas être payée en ligne pour le "
        "moment ; un paiement est peut-être déjà en cours.",
        "plan_schedule": "Votre échéancier",
        "plan_instalment": "Échéance",
        "plan_amount": "Montant",
        "plan_state": "Statut",
        "state_open": "Ouverte",
        "state_paid": "Payée",
        "state_missed": "Non payée à temps",
    },
}

# The name of each language in itself, for the language switch.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "de": "Deutsch", "fr": "Français"}
