"""The ``playbook`` command.

    playbook run PARAMS [--out DIR] [--pdf]
                                        run the whole playbook, print the report's path last
    playbook batch PARAMS... [--workers N | --scheduler ADDRESS] [--out DIR] [--skip-unchanged]
            [--lang ru|en]              run many clients, each in its own process (here, or
                                        one task each on a Dask cluster); a table and the
                                        portfolio page (DIR/index.html) at the end
    playbook validate PARAMS            check parameters and data without running notebooks
    playbook new-client NAME [--out F]  write a commented parameters file to start from
    playbook survey-form TEMPLATE [--lang ru|en] [--out F]
                                        a printable questionnaire (HTML) to hand out
    playbook competitor-template [--lang ru|en] [--out F]
                                        a commented competitor profile (YAML) to fill in
    playbook standards-doc PARAMS [--out F] [--pdf]
                                        the client's service-standards document (HTML, PDF)

Exit codes: 0 success; 2 bad parameters or data, or a run folder that cannot be written;
1 a notebook failed or an unexpected error. Messages are one paragraph (at most 1,500
characters); tracebacks go to the run's log file, never to the console. ``batch``: 0 every
client done or unchanged, 1 some client failed, 2 bad batch arguments or a cluster that cannot
run the batch (no client was run).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path

from playbook.errors import PlaybookError, bounded, shorten

__all__ = ["main"]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _run(args) -> int:
    from playbook.running.runner import run_playbook

    outcome = run_playbook(args.params, out=args.out, progress=_progress, pdf=args.pdf)
    if outcome.notes:  # advice for the consultant: on the console, never in the report
        _progress("Notes for the consultant (not in the report):")
        for note in outcome.notes:
            _progress(f"  - {note}")
    print(outcome.report)
    return 0


def _batch(args) -> int:
    from playbook.running.batch import run_batch, table

    clients = run_batch(args.params, out=args.out, workers=args.workers,
                        skip_unchanged=args.skip_unchanged, lang=args.lang,
                        scheduler=args.scheduler, progress=_progress)
    print(table(clients))
    return 0 if all(client.ok for client in clients) else 1


def _validate(args) -> int:
    from playbook.intake import run_intake
    from playbook.params import load_params

    params = load_params(args.params)
    with tempfile.TemporaryDirectory(prefix="playbook-validate-") as tmp:
        result = run_intake(params, Path(tmp))
    fig = result.figures
    print(f"{params.source_file}: parameters are valid.")
    for info in result.files:
        mapping = ", ".join(f"{k} <- {v!r}" for k, v in info.mapping.items())
        print(f"{info.name}: {info.rows_read:,} rows ({info.kind}"
              f"{', ' + info.encoding if info.encoding else ''}); columns: {mapping}")
    print(f"Period {fig['period']['start']} .. {fig['period']['end']} (as_of {fig['as_of']}); "
          f"{fig['transactions']['rows_used']:,} rows used, {fig['customers']:,} customers, "
          f"revenue {fig['revenue']:,.2f} {params.client.currency}.")
    for issue in fig["issues"]:
        print(f"  {issue['kind']}: {issue['rows']:,} rows {issue['action']}")
    return 0


def _new_client(args) -> int:
    from playbook.params import PROJECT_ROOT, check_text, client_slug, new_client_yaml

    problem = check_text(args.name, "The client's name", limit=200)
    if problem or not args.name.strip():
        raise PlaybookError(f"{problem or 'The client name is empty'}. Give the client's name "
                            f"as it should appear on the report.")
    target = Path(args.out) if args.out else (
        PROJECT_ROOT / "params" / "clients" / f"{client_slug(args.name)}.yaml")
    return _write_new(target, new_client_yaml(args.name), "Edit it, or give another path")


def _write_new(target: Path, text: str, instead: str) -> int:
    """Write ``text`` to a new file ``target`` and print its path; an existing file (a link
    or a folder counts too) is never replaced: the message says ``instead`` what to do.
    """
    shown = shorten(target, 200)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:  # never replaces an existing file
            handle.write(text)
    except FileExistsError:
        raise PlaybookError(f"{shown} already exists (a link or a folder counts too); it was "
                            f"left as it is. {instead} with --out.") from None
    except OSError as exc:
        raise PlaybookError(f"Cannot write {shown}: {shorten(exc.strerror, 80)}. Give a path "
                            f"you can write to with --out.") from None
    print(target)
    return 0


def _survey_form(args) -> int:
    from playbook.survey.printable_form import render_form

    page = render_form(args.template, args.lang)
    if args.out is None:
        sys.stdout.write(page)
        return 0
    target = Path(args.out)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(target)
    print(target)
    return 0


def _competitor_template(args) -> int:
    from playbook.winback.profile import competitor_template

    text = competitor_template(args.lang)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    return _write_new(Path(args.out), text, "Give another path")  # a filled profile stays


def _standards_doc(args) -> int:
    from playbook.params import PROJECT_ROOT, client_slug, load_params
    from playbook.standards.document import standards_document

    params = load_params(args.params)
    page = standards_document(params)
    target = Path(args.out) if args.out else (
        PROJECT_ROOT / "runs" / client_slug(params.client.name) / "standards.html")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(page, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        raise PlaybookError(f"Cannot write {shorten(target, 200)}: {shorten(exc.strerror, 80)}. "
                            f"Give a path you can write to with --out.") from None
    if args.pdf:
        from playbook.report.document import export_pdf

        print(export_pdf(target, target.with_suffix(".pdf")))
    print(target)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="playbook", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the playbook for one client")
    run.add_argument("params", help="the client's parameters file (YAML)")
    run.add_argument("--out", help="run folder (default: runs/<client>/<timestamp>)")
    run.add_argument("--pdf", action="store_true",
                     help="also print the report to report.pdf (needs Chromium or Chrome)")
    run.set_defaults(handler=_run)
    batch = commands.add_parser("batch", help="run many clients; a portfolio page at the end")
    batch.add_argument("params", nargs="+", help="the clients' parameters files (YAML)")
    batch.add_argument("--workers", type=int, default=None,
                       help="clients run at a time on this machine (default 1)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="run each client as a task on this Dask cluster: the scheduler's "
                            "address (tcp://host:8786) or its scheduler file; the workers "
                            "share the data and --out folders with this machine")
    batch.add_argument("--out", help="the batch's folder: each client's runs in "
                                     "<out>/<client>/, the portfolio in <out>/index.html "
                                     "(default: runs/)")
    batch.add_argument("--skip-unchanged", action="store_true",
                       help="skip a client whose parameters and data files are those of its "
                            "last good run")
    batch.add_argument("--lang", choices=["ru", "en"], default="ru",
                       help="the portfolio page's language (default ru)")
    batch.set_defaults(handler=_batch)
    validate = commands.add_parser("validate", help="check parameters and data only")
    validate.add_argument("params")
    validate.set_defaults(handler=_validate)
    new = commands.add_parser("new-client", help="write a parameters file to start from")
    new.add_argument("name", help="the client's name")
    new.add_argument("--out", help="where to write it (default: params/clients/<name>.yaml)")
    new.set_defaults(handler=_new_client)
    form = commands.add_parser("survey-form", help="print a questionnaire to hand out")
    form.add_argument("template", help="checkout, phone_monthly, quarterly, annual or exit "
                                       "(or a path to a template YAML)")
    form.add_argument("--lang", choices=["ru", "en"], default="ru")
    form.add_argument("--out", help="write the HTML here (default: standard output)")
    form.set_defaults(handler=_survey_form)
    comp = commands.add_parser("competitor-template",
                               help="write a competitor profile (YAML) to fill in")
    comp.add_argument("--lang", choices=["ru", "en"], default="ru")
    comp.add_argument("--out", help="write it here (default: standard output); an existing "
                                    "file is never replaced")
    comp.set_defaults(handler=_competitor_template)
    doc = commands.add_parser("standards-doc", help="the client's service-standards document")
    doc.add_argument("params", help="the client's parameters file (YAML)")
    doc.add_argument("--out", help="where to write the HTML (default: "
                                   "runs/<client>/standards.html)")
    doc.add_argument("--pdf", action="store_true",
                     help="also print it to PDF beside the HTML (needs Chromium or Chrome)")
    doc.set_defaults(handler=_standards_doc)
    return parser


def _error_log(details: str) -> str | None:
    """Write ``details`` to a new private file (``mkstemp``: created exclusively, mode 0600,
    never through a link) in the temporary folder; its path, or None when it cannot be written.
    """
    try:
        fd, path = tempfile.mkstemp(prefix="playbook-error-", suffix=".log")
    except OSError:
        return None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(details)
    except OSError:
        return None
    return path


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``playbook`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    # Library logs go to the run's log file (see runner), never to the console; a log file
    # that cannot be written (a full disk) is not reported with a traceback either.
    logging.raiseExceptions = False
    for name in ("papermill", "nbclient", "traitlets", "playbook"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False
    try:
        return args.handler(args)
    except PlaybookError as exc:
        print(f"playbook: {bounded(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("playbook: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: no traceback on the console
        log_path = _error_log(traceback.format_exc())
        where = (f"The details are in {log_path}" if log_path else
                 "The details could not be written to a file")
        print(f"playbook: unexpected error ({type(exc).__name__}: {shorten(exc, 300)}). "
              f"{where}; please report them with the parameters file.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
