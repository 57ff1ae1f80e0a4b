"""Cameras: motion masks and the live statistics of owned cameras."""
