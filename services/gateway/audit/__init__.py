"""The audit log: every write through the gateway (who, what, when, from where, outcome), every login
lockout, and every access to personal data (views and copies of footage, reads of contact details, with
the reason given); append-only and hash-chained (``chain.py``, checked by ``verify.py``)."""
