"""Camera registry: what a camera is (URL, category, location, sampling) and the status a client sees."""
