"""The demo client's intake and segmentation, computed once per test session.

A helper module rather than a conftest (one ``conftest`` module name per test tree): the
segmentation tests import :func:`demo_segments` and share its result.
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from functools import cache
from pathlib import Path

from playbook.intake import run_intake
from playbook.params import load_params
from playbook.running.context import RunContext, intake_dir
from playbook.segmentation import views

DEMO_PARAMS = Path(__file__).resolve().parents[2] / "params" / "clients" / "demo.yaml"


@cache
def demo_run_dir() -> Path:
    """A scratch run folder holding the demo's intake (removed when the session ends)."""
    folder = Path(tempfile.mkdtemp(prefix="playbook-segdemo-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    run_intake(load_params(DEMO_PARAMS), intake_dir(folder), today=dt.date(2026, 11, 26))
    return folder


def demo_context(language: str) -> RunContext:
    """The demo's run in ``language`` (ru or en)."""
    params = load_params(DEMO_PARAMS)
    client = params.client.model_copy(update={"language": language})
    return RunContext(params=params.model_copy(update={"client": client}),
                      run_dir=demo_run_dir())


@cache
def demo_segments() -> views.Segments:
    """The demo's segmentation (the same in every language)."""
    return views.analyse(demo_context("ru"))
