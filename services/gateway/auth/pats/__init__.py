"""Personal access tokens: a user's own long-lived credentials for scripts and DHIS2 clients."""
