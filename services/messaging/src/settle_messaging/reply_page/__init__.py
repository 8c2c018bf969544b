"""Reply links of mails sent before the debtor portal: they lead on to the portal."""
