"""Rate limiting: per-caller token buckets, shared across gateway replicas."""
