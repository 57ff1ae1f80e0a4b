"""Outbound notifications: signed webhooks, e-mail through SMTP, escalation of unacknowledged alerts and
the overdue events of cases and directives (NOTIFICATIONS.md)."""
