"""Command line: `python -m autograder {release,grade,check-release,envfiles}`."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import course


def _cmd_release(args) -> int:
    from .release import ReleaseError, release

    try:
        release(args.ids or None)
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for aid in args.ids or course.ASSIGNMENTS:
        print(f"released {course.release_notebook(aid).relative_to(course.ROOT)}")
    return 0


def _cmd_check_release(args) -> int:
    from .release import stale_files

    stale = stale_files()
    if stale:
        print("out of date (run `python -m autograder release` and commit):\n  " + "\n  ".join(stale),
              file=sys.stderr)
        return 1
    print("solutions/*.ipynb and notebooks/ match their sources")
    return 0


def _cmd_grade(args) -> int:
    from .grading.batch import grade_batch
    from .grading.report import summary_table
    from .grading.sandbox import Limits, SandboxUnavailable

    submitted = Path(args.submitted)
    if not submitted.is_dir():
        print(f"error: {submitted} is not a folder (expected SUBMITTED/<student>/<assignment>/<assignment>.ipynb)",
              file=sys.stderr)
        return 2
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                    memory_mb=args.memory_mb)
    try:
        rows, code = grade_batch(submitted, Path(args.out), jobs=args.jobs, only=args.assignment,
                                 limits=limits, progress=not args.quiet,
                                 log=lambda message: print(message, file=sys.stderr))
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary_table(rows))
    out = Path(args.out)
    print(f"\nwrote {out / 'grades.csv'}, {out / 'cells.csv'}, {out / 'scores.png'} and {out / 'feedback'}/")
    return code


def _cmd_envfiles(args) -> int:
    from .envfiles import write_env_files

    for path in write_env_files(check=args.check):
        print(("out of date: " if args.check else "wrote ") + str(path))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="regenerate solutions/*.ipynb and notebooks/ from the sources")
    r.add_argument("ids", nargs="*", metavar="ID", help=f"assignment ids (default: all of {', '.join(course.ASSIGNMENTS)})")
    r.set_defaults(func=_cmd_release)

    c = sub.add_parser("check-release", help="fail if solutions/*.ipynb or notebooks/ are out of date")
    c.set_defaults(func=_cmd_check_release)

    g = sub.add_parser("grade", help="grade SUBMITTED/<student>/<id>/<id>.ipynb in sandboxes")
    g.add_argument("submitted", metavar="SUBMITTED")
    g.add_argument("--out", default="grades", help="output folder (default: grades/)")
    g.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel sandboxes (default: cores)")
    g.add_argument("--assignment", action="append", metavar="ID",
                   help="grade only this assignment (repeatable); every student then gets a row for it")
    g.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell (default 60)")
    g.add_argument("--notebook-timeout", type=float, default=600.0, help="seconds per notebook (default 600)")
    g.add_argument("--memory-mb", type=int, default=4096, help="address space per process (default 4096)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=_cmd_grade)

    e = sub.add_parser("envfiles", help="regenerate environment.yml and binder/ from requirements.txt")
    e.add_argument("--check", action="store_true", help="only report files that are out of date")
    e.set_defaults(func=_cmd_envfiles)

    args = p.parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        p.error("--jobs must be at least 1")
    return args.func(args)
