"""Listed prices: published lists valid over dates, and charged-vs-listed discrepancies."""
