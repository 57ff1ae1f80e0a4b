"""Analytics domain: motion gating, detection, tracking, rules and alert lifecycle (no I/O)."""
