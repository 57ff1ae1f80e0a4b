"""DHIS2 dataValueSets compatibility."""
