"""What the gateway itself answers in DHIS2's own shapes on ``/dhis2/api``: its errors (WebMessage, 401
with ``WWW-Authenticate``) and personal access tokens (``apiToken``); the rest is forwarded to reports."""
