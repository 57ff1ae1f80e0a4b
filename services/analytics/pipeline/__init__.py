"""The per-frame stages: decode -> motion gate -> detect -> track -> rules -> publish."""
