"""The collection service's edge: its database, the consumer, SMTP, the dossier's files."""
