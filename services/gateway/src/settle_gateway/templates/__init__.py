"""Message templates: listed, read, changed and previewed in every language (messaging's)."""
