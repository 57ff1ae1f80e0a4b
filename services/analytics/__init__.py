"""cityops analytics service: Motion-gated detection, zone rules and alerts."""
