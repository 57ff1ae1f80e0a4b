"""Signed multi-camera evidence packages: built in the background, downloaded as one ZIP."""
