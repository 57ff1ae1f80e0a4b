"""Reports from the public page: filed with a photo, followed and rated by a tracking code."""
