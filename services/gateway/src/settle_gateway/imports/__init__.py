"""Imports: the finished runs and new imports passed to the importer."""
