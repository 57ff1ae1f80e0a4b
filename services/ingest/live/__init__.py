"""Live video for browsers: the camera's packets as fragmented MP4 on ``live.<camera>.<quality>``, on demand."""
