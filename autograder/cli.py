"""Command line: `python -m autograder {release,grade,export,similarity,check-release,envfiles,book,publish}`."""

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
        print(
            "out of date (run `python -m autograder release` and commit):\n  " + "\n  ".join(stale),
            file=sys.stderr,
        )
        return 1
    print("solutions/*.ipynb and notebooks/ match their sources")
    return 0


def _cmd_grade(args) -> int:
    from .grading import late
    from .grading.batch import grade_batch
    from .grading.cluster import SchedulerUnreachable
    from .grading.report import summary_table
    from .grading.sandbox import Limits, SandboxUnavailable
    from .grading.slots import NoFreeSlot
    from .grading.state import StateBusy

    submitted = Path(args.submitted)
    if not submitted.is_dir():
        print(
            f"error: {submitted} is not a folder (expected SUBMITTED/<student>/<assignment>/<assignment>.ipynb)",
            file=sys.stderr,
        )
        return 2
    limits = Limits(**{name: getattr(args, name) for name, *_ in Limits.options()})
    try:
        deadlines = late.deadlines(
            late.parse_assignments(args.due, "--due"),
            late.parse_assignments(args.late_policy, "--late-policy"),
        )
        rows, code = grade_batch(
            submitted,
            Path(args.out),
            jobs=args.jobs,
            only=args.assignment,
            limits=limits,
            progress=not args.quiet,
            log=lambda message: print(message, file=sys.stderr),
            students=args.student,
            force=args.force,
            deadlines=deadlines,
            scheduler=args.scheduler,
        )
    except (SandboxUnavailable, NoFreeSlot) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except (ValueError, StateBusy, SchedulerUnreachable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary_table(rows))
    out = Path(args.out)
    print(f"\nwrote {out / 'grades.csv'}, {out / 'cells.csv'}, {out / 'scores.png'} and {out / 'feedback'}/")
    print(f"class report (item analysis): {out / 'report.html'}")
    return code


def _cmd_similarity(args) -> int:
    import time
    from collections import Counter

    from .similarity import SimilarityError, run

    start, stats = time.monotonic(), Counter[str]()
    try:
        pairs = run(
            Path(args.submitted),
            args.assignment,
            Path(args.out),
            args.threshold,
            log=lambda message: print(message, file=sys.stderr),
            stats=stats,
        )
    except SimilarityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{stats['students']} student(s), {stats['answers_compared']} answer(s) long enough to compare; "
        f"{stats['candidate_pairs']} candidate pair(s) checked of {stats['all_pairs']}; "
        f"{len(pairs)} pair(s) at or above {args.threshold:g}; wrote {args.out} "
        f"({time.monotonic() - start:.1f} s)"
    )
    return 0


def _cmd_envfiles(args) -> int:
    from .envfiles import RequirementsError, floor_requirements, write_env_files

    try:
        if args.floors:
            sys.stdout.write(floor_requirements())
            return 0
        changed = write_env_files(check=args.check)
    except RequirementsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in changed:
        print(("out of date: " if args.check else "wrote ") + str(path))
    return 0


def _cmd_book(args) -> int:
    from .book import BookError, build_book

    try:
        build_book(
            Path(args.out),
            aids=args.ids or None,
            jobs=args.jobs,
            cache=None if args.no_cache else Path(args.cache),
            log=lambda message: print(message, file=sys.stderr),
        )
    except BookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_publish(args) -> int:
    from .publish import PublishError, PublishInputError, publish

    try:
        changed = publish(
            Path(args.out),
            args.repository,
            jobs=args.jobs,
            cache=None if args.no_cache else Path(args.cache),
            log=lambda message: print(message, file=sys.stderr),
        )
    except PublishInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"published the student repository for {args.repository} into {args.out}: "
        f"{len(changed)} file(s) written or removed" + (" (commit and push them there)" if changed else "")
    )
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="regenerate solutions/*.ipynb and notebooks/ from the sources")
    r.add_argument(
        "ids",
        nargs="*",
        metavar="ID",
        help=f"assignment ids (default: all of {', '.join(course.ASSIGNMENTS)})",
    )
    r.set_defaults(func=_cmd_release)

    c = sub.add_parser("check-release", help="fail if solutions/*.ipynb or notebooks/ are out of date")
    c.set_defaults(func=_cmd_check_release)

    g = sub.add_parser("grade", help="grade SUBMITTED/<student>/<id>/<id>.ipynb in sandboxes")
    g.add_argument("submitted", metavar="SUBMITTED")
    g.add_argument("--out", default="grades", help="output folder (default: grades/)")
    g.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="parallel sandboxes (default: cores)"
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on the Dask cluster whose scheduler is at ADDRESS (tcp://host:port, or tls://host:port "
        "with Dask's TLS settings) instead of --jobs local processes",
    )
    g.add_argument(
        "--assignment",
        action="append",
        metavar="ID",
        help="grade only this assignment (repeatable); every student then gets a row for it",
    )
    from .grading.late import SYNTAX as late_syntax
    from .grading.sandbox import Limits

    for name, default, help, kind in Limits.options():
        g.add_argument(
            "--" + name.replace("_", "-"),
            type={"float": float, "int": int}[str(kind)],
            default=default,
            help=f"{help} (default {default:g})",
        )
    g.add_argument(
        "--student",
        action="append",
        metavar="ID",
        help="grade only this student (repeatable); the files written keep everyone else's rows",
    )
    g.add_argument("--force", action="store_true", help="regrade even submissions that are unchanged")
    g.add_argument(
        "--due",
        action="append",
        metavar="ID=WHEN",
        help="due date of an assignment, ISO 8601 with its time zone, e.g. "
        "01_dual_numbers=2026-12-01T23:59:00+01:00 (repeatable; overrides the course table)",
    )
    g.add_argument(
        "--late-policy",
        action="append",
        metavar="ID=POLICY",
        help=f"what late work costs: {late_syntax}; AMOUNT is points (2) or a percentage of the "
        "maximum (10%%) (repeatable; overrides the course table)",
    )
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=_cmd_grade)

    from .similarity import DEFAULT_THRESHOLD

    s = sub.add_parser(
        "similarity", help="pairs of students with (nearly) the same answer, for a closer look"
    )
    s.add_argument("submitted", metavar="SUBMITTED")
    s.add_argument(
        "--assignment", required=True, metavar="ID", help="the assignment whose answers to compare"
    )
    s.add_argument(
        "--out",
        required=True,
        metavar="FILE.csv",
        help="where to write student_a,student_b,answer,similarity (most similar first)",
    )
    s.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"list pairs at least this similar, 0 to 1 (default {DEFAULT_THRESHOLD:g})",
    )
    s.set_defaults(func=_cmd_similarity)

    from .export import add_parser as add_export_parser

    add_export_parser(sub)

    e = sub.add_parser("envfiles", help="regenerate environment.yml and binder/ from requirements.txt")
    e.add_argument("--check", action="store_true", help="only report files that are out of date")
    e.add_argument(
        "--floors",
        action="store_true",
        help="print requirements.txt with every library at its oldest supported version",
    )
    e.set_defaults(func=_cmd_envfiles)

    b = sub.add_parser("book", help="build the course website from the release notebooks")
    b.add_argument("ids", nargs="*", metavar="ID", help="assignment ids (default: all)")
    b.add_argument(
        "--out", default=str(course.ROOT / "_build" / "book"), help="output folder (default: _build/book)"
    )
    b.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default 2)")
    b.add_argument(
        "--cache",
        default=str(course.ROOT / "_build" / "book-cache"),
        help="executed notebooks, reused while the release and requirements.txt are unchanged",
    )
    b.add_argument("--no-cache", action="store_true", help="execute every notebook again")
    b.set_defaults(func=_cmd_book)

    u = sub.add_parser(
        "publish", help="write the student repository (no solutions, no hidden tests) into OUT"
    )
    u.add_argument("out", metavar="OUT", help="a new or empty folder, or an earlier publish output")
    u.add_argument(
        "--repository",
        required=True,
        metavar="OWNER/NAME",
        help="the public GitHub repository OUT is pushed to: its Colab and Binder badges name it",
    )
    u.add_argument(
        "--jobs", type=int, default=2, help="notebooks executed at once to record practice values (default 2)"
    )
    u.add_argument(
        "--cache",
        default=str(course.ROOT / "_build" / "publish-cache"),
        help="recorded practice values, reused while everything they depend on is unchanged",
    )
    u.add_argument("--no-cache", action="store_true", help="record every notebook's practice values again")
    u.set_defaults(func=_cmd_publish)

    args = p.parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        p.error("--jobs must be at least 1")
    return args.func(args)
