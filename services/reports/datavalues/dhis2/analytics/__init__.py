"""DHIS2 ``/api/analytics``: aggregated values by data element, period and org unit in DHIS2's grid."""
