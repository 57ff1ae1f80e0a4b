"""Recording role of the ingest service: continuous/event recording by remux, retention, clip export.

It lives in ingest because the replica that owns a camera's lease is the one connected to it;
recording there keeps one session per camera owner and needs no second ownership scheme.
"""
