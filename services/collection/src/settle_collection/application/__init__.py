"""The collection service's use cases."""
