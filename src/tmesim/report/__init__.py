"""Self-contained HTML reports of virtual mouse studies and clinical trials.

Example:
    >>> from tmesim.report import render_report
    >>> callable(render_report)
    True
"""

from __future__ import annotations

from tmesim.report.html import render_report

__all__ = ["render_report"]
