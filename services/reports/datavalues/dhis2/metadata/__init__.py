"""DHIS2 metadata, read only: the catalogue (departments, indicators, forms, category combos) as DHIS2's
organisationUnits, dataElements, dataSets, categoryCombos and categoryOptionCombos, with DHIS2's
``fields``, ``filter``, ``order`` and paging (docs/dhis2.md, "Metadata").

The catalogue is hundreds of rows, so a request loads it whole (``objects.load``) and selects, orders,
pages and shapes in memory (``query``, ``fields``): one implementation of DHIS2's query language for
every type, nested paths (``parent.id``, ``dataSetElements.dataSet.id``) included.
"""
