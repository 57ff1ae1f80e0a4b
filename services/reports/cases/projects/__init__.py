"""Site-clearance (GPMB) projects and their progress."""
