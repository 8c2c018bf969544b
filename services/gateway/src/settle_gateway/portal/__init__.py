"""The debtor portal: public pages a debtor reaches by the signed link in a reminder."""
