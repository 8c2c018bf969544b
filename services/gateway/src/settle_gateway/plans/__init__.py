"""Payment plans: listed from the read model, created and changed through dunning."""
