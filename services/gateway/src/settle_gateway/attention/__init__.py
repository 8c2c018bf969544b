"""Attention items: what a person should look at, and why."""
