"""City cases: categories, cases and their workflow, alerts → cases, satisfaction, Open311,
directives, site-clearance projects and the KPIs derived from them."""
