"""Training runs: what a run trains (plan), its fit settings, its state in the DB."""
