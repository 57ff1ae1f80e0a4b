"""DHIS2 Web API surface (``/dhis2/api/...``): metadata, data and analytics routes, and the path
normaliser that lets versioned paths and format suffixes reach the same routes."""
