"""PDF and CSV records: supervision records and caseload summaries, built from plain data."""
