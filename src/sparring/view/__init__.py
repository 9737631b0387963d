"""The trace viewer: a run's overview, one item's timeline, live progress, html/svg export.

It reads the run store read-only (``RunQuery``), so it works while another process is writing
the run, and renders with rich. The CLI (``sparring view``) is a thin layer over it.
"""

from sparring.view._item import render_item
from sparring.view._live import LiveDisplay, Progress, live_display
from sparring.view._overview import render_overview, topology
from sparring.view._query import ItemRef, NodeStat, RunQuery
from sparring.view._summary import HEALTH, health_table, render_summary, summary_renderable
from sparring.view._timeline import Call, Round, Timeline, Visit, build_timeline

__all__ = [
    "HEALTH",
    "Call",
    "ItemRef",
    "LiveDisplay",
    "NodeStat",
    "Progress",
    "Round",
    "RunQuery",
    "Timeline",
    "Visit",
    "build_timeline",
    "health_table",
    "live_display",
    "render_item",
    "render_overview",
    "render_summary",
    "summary_renderable",
    "topology",
]
