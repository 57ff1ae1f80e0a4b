"""Traffic volume by road: the analytics line rules' 15-minute crossings, stored as department data."""
