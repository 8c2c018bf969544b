"""Use cases of the importer: import runs, the scheduler and the drop folders."""
