"""Settings and dunning control: pauses, flows, the profile and step commands."""
