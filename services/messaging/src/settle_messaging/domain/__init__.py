"""The messaging domain: templates, email building, letters, reply tokens, inbound mail,
bounces and message states. Pure: no network, no database, no clock."""
