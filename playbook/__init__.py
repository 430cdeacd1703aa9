"""A customer-retention consulting playbook: a client's exports in, a client-ready report out."""

from playbook.context import RunContext, open_run
from playbook.params import Params, load_params
from playbook.results import record

__all__ = ["Params", "RunContext", "load_params", "open_run", "record"]
