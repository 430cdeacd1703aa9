"""A customer-retention consulting playbook: a client's exports in, a client-ready report out.

What a notebook needs is one import away (``from playbook import open_run, record, show``);
the names load on first use, so the command line starts without the notebook machinery.
"""

from importlib import import_module

__all__ = ["Params", "RunContext", "figure", "load_params", "open_run", "record", "show",
           "table"]

_HOMES = {
    "Params": "playbook.params",
    "load_params": "playbook.params",
    "RunContext": "playbook.running.context",
    "open_run": "playbook.running.context",
    "record": "playbook.report.results",
    "figure": "playbook.report.render",
    "show": "playbook.report.render",
    "table": "playbook.report.render",
}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'playbook' has no attribute {name!r}")
