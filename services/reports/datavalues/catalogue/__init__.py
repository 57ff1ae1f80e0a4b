"""Departments (a dated tree), indicators with yearly targets, report forms."""
