"""The city briefing of a week or a month for leaders: JSON, XLSX and PDF, and the weekly delivery."""
