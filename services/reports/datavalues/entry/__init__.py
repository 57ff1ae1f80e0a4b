"""A department officer filling in report forms: the grid of a period, drafts, submission, uploads, history."""
