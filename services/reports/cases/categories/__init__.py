"""Case categories: who handles a kind of case and how fast."""
