"""Trainer reports for one exam: the cohort page, a page per trainee, and CSV for HR.

``gather`` (``cohort.py``) reads the record into view objects and computes the statistics
(``stats.py``); ``write_report`` (``render.py``) renders them with jinja2, autoescaped.
"""

from simulator.reports.cohort import CohortReport, gather
from simulator.reports.render import FORMATS, write_report

__all__ = ["FORMATS", "CohortReport", "gather", "write_report"]
