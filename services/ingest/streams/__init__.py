"""The decode side: one stream worker thread per owned camera, its event-loop runner, and the
supervisor that keeps this replica's runners in line with the registry and the camera leases."""
