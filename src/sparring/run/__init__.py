"""Dataset runs that survive: ``Run`` (create, ingest, execute, resume, summary, export)."""

from sparring.run._config import Budget, RunConfig
from sparring.run._data import FieldMap, InputItem, InputProblem, read_items
from sparring.run._lock import RunLock
from sparring.run._outcome import StopKind, stop_kind
from sparring.run._preflight import preflight, preflight_problems
from sparring.run._run import IngestReport, Run
from sparring.run._summary import ModelUsage, RoleUsage, RoundHealth, RunSummary, summarize

__all__ = [
    "Budget",
    "FieldMap",
    "IngestReport",
    "InputItem",
    "InputProblem",
    "ModelUsage",
    "RoleUsage",
    "RoundHealth",
    "Run",
    "RunConfig",
    "RunLock",
    "RunSummary",
    "StopKind",
    "preflight",
    "preflight_problems",
    "read_items",
    "stop_kind",
    "summarize",
]
