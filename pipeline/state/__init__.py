"""The nightly state: a SQLite file remembering every comment, its results and staff work between runs.

`schema.py` opens the file (version check, migrations), `store.py` reads and writes its tables, `changes.py` tells
new, changed, unchanged and withdrawn comments apart and keeps cluster ids stable (pure functions), `staff.py`
carries staff entries from the workbook into the state and back; `theme_fit.py` and `triage_reuse.py` spare a night
the themes fit and triage over comments whose inputs did not change.
"""
