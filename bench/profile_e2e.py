"""Profile the slow cells of a finished run, through the package functions they call.

``python bench/profile_e2e.py RUN_DIR [STEP...]`` reopens a run folder written by
``playbook run`` (its intake is reused), then runs each step's calls under cProfile and
prints the wall time and the top functions by cumulative time (the playbook's own, saving
workbooks, pandas' apply and agg). Exports are written to a temporary folder, never into
the run. Analyses the run kept in its ``data/cache`` are read back, as the notebooks do;
remove that folder to profile them too. Steps: segmentation, ltv, winback (default: all).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    from playbook import exports, open_run
    from playbook.followup import views as followup
    from playbook.ltv import views as ltv
    from playbook.segmentation import views as seg_views
    from playbook.winback import views as winback

    run_dir = Path(argv[0]).resolve()
    steps = argv[1:] or ["segmentation", "ltv", "winback"]
    params = next((run_dir / "notebooks").glob("00_*.ipynb"))
    import nbformat

    nb = nbformat.read(params, as_version=4)
    params_path = next(c.source for c in nb.cells if "injected-parameters" in
                       c.metadata.get("tags", [])).split('params_path = "')[1].split('"')[0]
    run = open_run(params_path, str(run_dir))
    lang = run.lang
    out = Path(tempfile.mkdtemp(prefix="profile-e2e-"))

    def segmentation():
        seg = seg_views.analyse(run)
        lists = seg_views.task_lists(seg, run)
        exports.write_task_lists(lists, out, lang, start=run.handover,
                                 outcomes=followup.workbook_outcomes(run))
        exports.write_mailing_lists(seg_views.mailing_list(seg, run), out, lang)

    def ltv_step():
        res = ltv.analyse(run)
        retain = ltv.retain_tasks(res, run)
        exports.write_task_lists({"retain": retain}, out, lang, start=run.handover)

    def winback_step():
        res = winback.analyse(run)
        lists = winback.workbook_lists(res, seg_views.analyse(run), run)
        exports.write_task_lists(lists, out, lang, start=run.handover,
                                 outcomes=followup.workbook_outcomes(run))

    table = {"segmentation": segmentation, "ltv": ltv_step, "winback": winback_step}
    for step in steps:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(table[step])
        print(f"===== {step}: {time.perf_counter() - started:.1f} s", flush=True)
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats("playbook|openpyxl.*save|pandas.*(apply|agg)", 30)


if __name__ == "__main__":
    main(sys.argv[1:])
