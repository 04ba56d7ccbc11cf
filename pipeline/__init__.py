"""uwagi: triage Polish public-consultation comments into a workbook staff can work in."""

__version__ = "0.1.0"
