"""Benchmark 4: the answer-similarity check on a generated class with planted copies.

    .venv/bin/python benchmarks/similarity.py                 # 1,000 students
    .venv/bin/python benchmarks/similarity.py --students 500

The class hands in 01_dual_numbers. Honest students each write `dual_class` from their own
draw of independent style choices (benchmarks/dual_styles.py; no two draws alike, every
style correct on all graded groups but the bonus); planted copiers take one honest
student's class and disguise it (autograder/sample_copies.py: names renamed, comments and
blank lines added, docstrings rewritten, methods reordered, layout redone):

- disguised (10 % of the class): a disguised copy, each of a different honest student;
- edited (4 %): disguised, and two parts rewritten in the copier's own way;
- rings (1 in 100 students): one honest student and three disguised copies of their class.

`finite_differences` and `derivative_helper` are the solution's or a small honest variant:
too short to compare (see autograder/similarity.py), as the results show.

Timed: `python -m autograder similarity SUBMITTED --assignment 01_dual_numbers --out FILE`
as an instructor runs it (CPU and wall seconds, interpreter start and imports included).
Then, in this process (CPU seconds per phase), every pair at or above 0.5 once, to report
per threshold: planted pairs found (by kind), honest pairs reported (false positives), and
the candidate pairs checked against all pairs. Results go to
benchmarks/results/similarity.{json,md}.
"""

from __future__ import annotations

import argparse
import copy
import csv
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dual_styles  # noqa: E402
import machine  # noqa: E402
import nbformat  # noqa: E402

from autograder import similarity  # noqa: E402
from autograder.sample_copies import disguise  # noqa: E402
from autograder.sample_submissions import release_notebook, solution_answers  # noqa: E402

AID = "01_dual_numbers"
SHARES = {"disguised": 0.10, "edited": 0.04}
RING_EVERY, RING_COPIES = 100, 3
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
SHORT_VARIANTS = {  # honest ways to write the two short answers
    "finite_differences": [
        None,
        '''def forward_difference(f, x, h):
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (h + h)
''',
    ],
    "derivative_helper": [
        None,
        '''def derivative(f, x):
    return f(Dual(x, 1.0)).derivative
''',
    ],
}


def make_class(n: int, seed: int) -> tuple[dict[str, str], dict[str, str], dict[frozenset, str]]:
    """({student: dual_class source}, {student: kind}, {planted pair: kind})."""
    rng = random.Random(seed)
    release = similarity.released_answers(AID)["dual_class"]
    rings = n // RING_EVERY
    copies = {k: round(share * n) for k, share in SHARES.items()}
    honest_n = n - sum(copies.values()) - rings * RING_COPIES
    styles, seen = [], set()
    while len(styles) < honest_n:
        c = dual_styles.style(rng)
        key = repr(sorted(c.items()))
        if key not in seen:
            seen.add(key)
            styles.append(c)
    sources = {f"h{i:04d}": dual_styles.dual_class(c) for i, c in enumerate(styles)}
    choices = dict(zip(sources, styles))
    kinds = dict.fromkeys(sources, "honest")
    originals = rng.sample(sorted(sources), sum(copies.values()) + rings)
    planted: dict[frozenset, str] = {}
    students = dict(sources)
    for kind, count in copies.items():
        for i in range(count):
            original = originals.pop()
            text = (
                sources[original]
                if kind == "disguised"
                else dual_styles.dual_class(dual_styles.edited(choices[original], rng))
            )
            name = f"c{kind[0]}{i:03d}"
            students[name] = disguise(text, rng.randrange(10**9), release)
            kinds[name] = kind
            planted[frozenset((original, name))] = kind
    for r in range(rings):
        original = originals.pop()
        members = [original]
        for j in range(RING_COPIES):
            name = f"r{r:02d}_{j}"
            students[name] = disguise(sources[original], rng.randrange(10**9), release)
            kinds[name] = "ring"
            members.append(name)
        for a, b in combinations(members, 2):
            planted[frozenset((a, b))] = "ring"
    return students, kinds, planted


def write_class(students: dict[str, str], folder: Path, seed: int) -> None:
    rng = random.Random(seed)
    base = release_notebook(AID)
    solution = solution_answers(AID)
    for student, dual_class in students.items():
        answers = {"dual_class": dual_class}
        for gid, variants in SHORT_VARIANTS.items():
            answers[gid] = rng.choice(variants) or solution[gid]
        nb = copy.deepcopy(base)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers and cell.metadata["nbgrader"].get("solution"):
                cell.source = answers[gid]
        target = folder / student / AID
        target.mkdir(parents=True)
        nbformat.write(nb, target / f"{AID}.ipynb")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_cli(submitted: Path, out: Path) -> dict:
    """The command as an instructor runs it: wall and CPU seconds, its summary, the pairs."""
    start, cpu = time.monotonic(), _children_cpu()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "similarity",
            str(submitted),
            "--assignment",
            AID,
            "--out",
            str(out),
        ],
        cwd=machine.ROOT,
        capture_output=True,
        text=True,
    )
    seconds, cpu = time.monotonic() - start, _children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"similarity failed ({proc.returncode}): {proc.stderr[-2000:]}")
    with out.open() as f:
        listed = list(csv.DictReader(f))
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "pairs": len(listed),
        "summary": proc.stdout.strip(),
    }


def evaluate(submitted: Path, kinds: dict[str, str], planted: dict[frozenset, str]) -> dict:
    """Every pair >= the lowest threshold once, in process, with the time of each phase."""
    clock = time.process_time  # CPU seconds: the machine is shared, its wall times are not this code's
    t0 = clock()
    answers = similarity.read_class(submitted, AID)
    t1 = clock()
    release = similarity.released_answers(AID)
    sets = {
        gid: similarity.fingerprint_sets(sources, release[gid]) for gid, sources in answers.by_answer.items()
    }
    t2 = clock()
    stats, strict = Counter(), Counter()
    pairs = [p for gid, s in sets.items() for p in similarity.pairs_among(s, gid, min(THRESHOLDS), stats)]
    t3 = clock()
    for gid, s in sets.items():
        similarity.pairs_among(s, gid, 0.9, strict)
    t4 = clock()
    found = {frozenset((p.student_a, p.student_b)): p.similarity for p in pairs if p.answer == "dual_class"}
    rows = []
    for t in THRESHOLDS:
        reported = {pair for pair, s in found.items() if s >= t}
        row = {"threshold": t, "reported": len(reported)}
        for kind in ("disguised", "edited", "ring"):
            want = {pair for pair, k in planted.items() if k == kind}
            row[f"{kind}_found"] = len(want & reported)
            row[f"{kind}_planted"] = len(want)
        row["honest_pairs_reported"] = len(reported - set(planted))
        rows.append(row)
    by_kind = {
        kind: sorted(found.get(pair, 0.0) for pair, k in planted.items() if k == kind)
        for kind in ("disguised", "edited", "ring")
    }
    honest = [s for pair, s in found.items() if pair not in planted]
    return {
        "students": len(answers.students),
        "read_cpu_seconds": round(t1 - t0, 2),
        "fingerprint_cpu_seconds": round(t2 - t1, 2),
        "compare_cpu_seconds_at_0.5": round(t3 - t2, 2),
        "compare_cpu_seconds_at_0.9": round(t4 - t3, 2),
        "candidate_pairs_at_0.5": stats["candidate_pairs"],
        "candidate_pairs_at_0.9": strict["candidate_pairs"],
        "all_pairs": stats["all_pairs"],
        "answers_compared": {gid: len(s) for gid, s in sets.items()},
        "per_threshold": rows,
        "copy_similarity": {
            k: {"min": v[0], "median": statistics.median(v), "max": v[-1]} for k, v in by_kind.items() if v
        },
        "highest_honest_similarity": max(honest, default=0.0),
        "pairs_by_answer": dict(Counter(p.answer for p in pairs)),
        "kinds": dict(Counter(kinds.values())),
    }


def markdown(data: dict) -> str:
    e, c = data["evaluation"], data["cli"]
    lines = [
        f"# Answer similarity on a generated class{' (preliminary)' if data['preliminary'] else ''}",
        "",
        machine.machine_markdown(data),
        "",
        f"Class: {e['students']} students of {AID} ({', '.join(f'{n} {k}' for k, n in e['kinds'].items())}); "
        f"seed {data['seed']}.",
        "",
        f"- **`python -m autograder similarity` on the whole class: {c['cpu_seconds']:.1f} CPU seconds** "
        f"({c['seconds']:.1f} s wall on this machine as loaded; interpreter start and imports included), "
        f"threshold 0.9: {c['pairs']} pair(s) listed.",
        f"- In process, CPU seconds: reading the {e['students']} notebooks {e['read_cpu_seconds']:.1f}; "
        f"fingerprinting every answer {e['fingerprint_cpu_seconds']:.1f}; comparing "
        f"{e['compare_cpu_seconds_at_0.9']:.2f} at threshold 0.9 and {e['compare_cpu_seconds_at_0.5']:.2f} at 0.5.",
        f"- Pairs checked: {e['candidate_pairs_at_0.9']} candidates at 0.9 and "
        f"{e['candidate_pairs_at_0.5']} at 0.5, of {e['all_pairs']} pairs of answers long enough to compare "
        f"({100 * e['candidate_pairs_at_0.9'] / max(1, e['all_pairs']):.2f} % at 0.9).",
        "- Answers long enough to compare: "
        + ", ".join(f"{g} {n}" for g, n in e["answers_compared"].items())
        + f" of {e['students']}.",
        "",
        "| threshold | disguised copies found | edited copies found | ring pairs found | honest pairs reported |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in e["per_threshold"]:
        lines.append(
            f"| {r['threshold']:g} | {r['disguised_found']}/{r['disguised_planted']} | "
            f"{r['edited_found']}/{r['edited_planted']} | {r['ring_found']}/{r['ring_planted']} | "
            f"{r['honest_pairs_reported']} |"
        )
    lines += [
        "",
        "Similarity of the planted pairs (min / median / max): "
        + "; ".join(
            f"{k} {v['min']:.3f} / {v['median']:.3f} / {v['max']:.3f}"
            for k, v in e["copy_similarity"].items()
        )
        + f". Highest similarity of two honest students: {e['highest_honest_similarity']:.3f}.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=1000)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--results", type=Path, default=machine.RESULTS)
    p.add_argument("--workdir", type=Path, help="keep the class and the output here")
    args = p.parse_args(argv)
    if args.students < 50:
        p.error("--students must be at least 50 (the class has rings of copies every 100 students)")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="similarity-bench-"))
    try:
        submitted = work / "submitted"
        students, kinds, planted = make_class(args.students, args.seed)
        write_class(students, submitted, args.seed)
        with machine.LoadMonitor() as load:
            cli = timed_cli(submitted, work / "similarity.csv")
            evaluation = evaluate(submitted, kinds, planted)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    load_summary = load.summary()
    data = machine.header("similarity", load_summary, machine.is_preliminary(load_summary, 1.0))
    data.update({"seed": args.seed, "cli": cli, "evaluation": evaluation})
    jpath, mpath = machine.write_results("similarity", data, markdown(data), args.results)
    print(markdown(data))
    print(f"\nwrote {jpath} and {mpath}", file=sys.stderr)
    strict = next(r for r in evaluation["per_threshold"] if r["threshold"] == 0.9)
    return (
        0
        if strict["disguised_found"] == strict["disguised_planted"]
        and strict["ring_found"] == strict["ring_planted"]
        and strict["honest_pairs_reported"] == 0
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
