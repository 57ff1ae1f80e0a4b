"""Camera media straight from the bus: the latest snapshot (KV) and live frames (frames subject)."""
