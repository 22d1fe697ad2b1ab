"""Facts about the course that the rest of the package relies on, each stated once.

`COURSE` is the course table: each assignment with its title, its probes/checks module, and
each graded answer with its tests, points and the rules it must obey. The release (points,
README table), the grader (which probe a test runs, which answers it grades, which rules
apply) and the examples all read it; `tests/test_course_table.py` fails when a notebook's
answer ids, test ids or points disagree with it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from .late_policy import LateError, LatePolicy, parse_due
from .rules import (
    NO_AD_LIBRARIES,
    NO_DIFFERENTIATED_SOLVER,
    NO_HESSIAN_MATRIX,
    NO_JACOBIAN_BUILDERS,
    NO_LOOP_OVER_EXAMPLES,
    Rule,
)

ROOT = Path(__file__).resolve().parent.parent

COURSE_ID = "autodiff"
COURSE_TITLE = "Automatic differentiation, from dual numbers to JAX"
# The public GitHub repository that the Colab and Binder badges open: the student repository
# that `python -m autograder publish OUT --repository OWNER/NAME` writes (the README's
# two-repository workflow). Change it here and run `python -m autograder release`; nothing
# else names it.
REPOSITORY = "autodiff-course/autodiff-from-dual-numbers-to-jax"
BRANCH = "main"


@dataclass(frozen=True)
class Test:
    """A hidden-test cell (`grade_id`) worth `points`. Its probe is `<module>.<id without test_>`."""

    __test__ = False  # not a pytest class
    id: str
    points: float


@dataclass(frozen=True)
class Answer:
    """An autograded answer cell: its tests, the answers it builds on, the rules it obeys."""

    id: str
    tests: tuple[Test, ...] = ()
    uses: tuple[str, ...] = ()  # answers whose code this one calls (their tests stand alone)
    rules: tuple[Rule, ...] = ()  # what it (and everything it calls) may not use


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    module: str  # names autograder/probes/<module>.py and checks/<module>.py
    answers: tuple[Answer, ...]
    minutes: int = 0  # a student's working time, as estimated (see the README)
    # Late work (grading/late.py): the due date, ISO 8601 with its time zone ("" = none), and
    # what late work costs ("none", "per-hour:2", "per-day:10%,cap=50%", "zero-after:48h").
    # `grade --due/--late-policy` override them; neither changes a cached verdict.
    due: str = ""
    late_policy: str = "none"

    def __post_init__(self) -> None:
        try:  # a bad setting fails when the table is read, not while grading
            parse_due(self.due)
            LatePolicy.parse(self.late_policy)
        except LateError as exc:
            raise ValueError(f"course table, assignment {self.id}: {exc}") from None

    @property
    def time_estimate(self) -> str:
        """ "about 2.5 h" (to the half hour), for the README and the top of the notebook."""
        hours = round(self.minutes / 30) / 2
        return f"about {hours:g} h"

    @property
    def tests(self) -> tuple[Test, ...]:
        return tuple(t for a in self.answers for t in a.tests)

    @property
    def max_score(self) -> float:
        return float(sum(t.points for t in self.tests))

    def answer(self, answer_id: str) -> Answer:
        for a in self.answers:
            if a.id == answer_id:
                return a
        raise KeyError(f"{self.id} has no answer {answer_id!r}")

    def answer_of(self, test_id: str) -> Answer:
        """The answer a test belongs to."""
        for a in self.answers:
            if any(t.id == test_id for t in a.tests):
                return a
        raise KeyError(f"{self.id} has no test {test_id!r}")

    def graded_by(self, test_id: str) -> tuple[Answer, ...]:
        """The answers a test's result depends on: its own, and those it builds on (transitively)."""
        order, todo = [], [self.answer_of(test_id).id]
        while todo:
            aid = todo.pop(0)
            if aid not in order:
                order.append(aid)
                todo += list(self.answer(aid).uses)
        return tuple(self.answer(a) for a in order)

    def probe_name(self, test_id: str) -> str:
        """The name of the probe a test cell runs: `<module>.<test id without "test_">`."""
        return f"{self.module}.{test_id.removeprefix('test_')}"


def _tests(**points: float) -> tuple[Test, ...]:
    return tuple(Test(tid, p) for tid, p in points.items())


COURSE: tuple[Assignment, ...] = (
    Assignment(
        "01_dual_numbers",
        "Dual numbers: finite differences, symbolic, and forward-mode AD by hand",
        "dual_numbers",
        (
            Answer("finite_differences", _tests(test_finite_differences=2)),
            Answer(
                "dual_class",
                _tests(
                    test_dual_add_sub=2,
                    test_dual_mul_div=3,
                    test_dual_power=2,
                    test_dual_functions=3,
                    test_dual_compositions=2,
                    test_dual_comparisons=1,
                    test_dual_bonus=1,
                ),
                rules=(NO_AD_LIBRARIES,),
            ),
            Answer("derivative_helper", _tests(test_derivative_helper=1), uses=("dual_class",)),
            Answer("kinks", _tests(test_kinks=2), uses=("dual_class",), rules=(NO_AD_LIBRARIES,)),
        ),
        minutes=180,
    ),
    Assignment(
        "02_euler_rk4",
        "Euler and RK4: fitting an RLC circuit with dual numbers through the solver",
        "euler_rk4",
        (
            Answer("seeding", _tests(test_seeding=1)),
            Answer("dual_charge", _tests(test_dual_charge=2), uses=("seeding",)),
            Answer("dloss", _tests(test_dloss=4), uses=("dual_charge",), rules=(NO_AD_LIBRARIES,)),
            Answer("dloss_vector", _tests(test_dloss_vector=2), rules=(NO_AD_LIBRARIES,)),
        ),
        minutes=180,
    ),
    Assignment(
        "03_pytorch",
        "Reverse mode: a tape of your own, then PyTorch autograd",
        "pytorch",
        (
            Answer(
                "var_class",
                _tests(
                    test_var_arithmetic=2,
                    test_var_powers=1,
                    test_var_functions=2,
                    test_var_reuse=2,
                    test_var_deep_graphs=3,
                ),
                rules=(NO_AD_LIBRARIES,),
            ),
            Answer("torch_dloss", _tests(test_torch_dloss=3)),
            Answer("sgd_step", _tests(test_sgd_step=2)),
        ),
        minutes=210,
    ),
    Assignment(
        "04_jax",
        "JAX: grad, pytrees, jit, vmap, lax.scan, maximum likelihood",
        "jax_basics",
        (
            Answer("pytree_grads", _tests(test_pytree_grads=2)),
            Answer("nth_derivative", _tests(test_nth_derivative=2)),
            Answer("rlc_scan", _tests(test_rlc_scan=3)),
            Answer("per_example_grads", _tests(test_per_example_grads=2), rules=(NO_LOOP_OVER_EXAMPLES,)),
            Answer("gaussian_mle", _tests(test_gaussian_nll=1, test_fit_gaussian=2)),
            Answer("goldfield_gradient", _tests(test_goldfield_gradient=2, test_goldfield_partial=2)),
        ),
        minutes=190,
    ),
    Assignment(
        "05_mlp_logistic",
        "A small MLP and logistic regression, with gradient checking",
        "mlp_logistic",
        (
            Answer("my_nn", _tests(test_my_nn=3)),
            Answer("sgd_step", _tests(test_sgd_step=2), uses=("my_nn",)),
            Answer("predict", _tests(test_predict=1)),
            Answer("nll_loss", _tests(test_nll_loss=2)),
            Answer("check_gradient", _tests(test_check_gradient_verdicts=2, test_check_gradient_errors=2)),
        ),
        minutes=145,
    ),
    Assignment(
        "06_jacobians_hessians",
        "Jacobians and Hessians: jvp, vjp, Newton, forward against reverse cost",
        "jacobians_hessians",
        (
            Answer("jacobian_fg", _tests(test_jacobian_fg=2)),
            Answer("jac_from_jvp", _tests(test_jac_from_jvp=2), rules=(NO_JACOBIAN_BUILDERS,)),
            Answer("jac_from_vjp", _tests(test_jac_from_vjp=2), rules=(NO_JACOBIAN_BUILDERS,)),
            Answer("hvp", _tests(test_hvp=2), rules=(NO_HESSIAN_MATRIX,)),
            Answer("newton", _tests(test_newton=3)),
        ),
        minutes=140,
    ),
    Assignment(
        "07_ad_in_practice",
        "AD in practice: kinks, the where trap, custom rules, implicit differentiation, memory",
        "ad_in_practice",
        (
            Answer("exprel", _tests(test_exprel=3)),
            Answer("stable_log_sigmoid", _tests(test_stable_log_sigmoid=3)),
            Answer("fixed_point", _tests(test_fixed_point=4), rules=(NO_DIFFERENTIATED_SOLVER,)),
            Answer("checkpointed_charges", _tests(test_checkpointed_charges=3)),
        ),
        minutes=165,
    ),
)

ASSIGNMENTS: tuple[str, ...] = tuple(a.id for a in COURSE)
_BY_ID = {a.id: a for a in COURSE}


def grading_facts() -> str:
    """The course table as the grader's verdicts depend on it: without due dates and late
    policies, which are applied after grading (so changing them never regrades a notebook)."""
    return repr(tuple(dataclasses.replace(a, due="", late_policy="none") for a in COURSE))


def assignment(aid: str) -> Assignment:
    """The table entry of one assignment (KeyError naming the known ids if there is none)."""
    try:
        return _BY_ID[aid]
    except KeyError:
        raise KeyError(f"{aid!r} is not an assignment of this course ({', '.join(ASSIGNMENTS)})") from None


# What a fresh Colab runtime lacks; pinned from requirements.txt.
COLAB_MISSING = ("jupyterquiz",)

SOLUTIONS_DIR = "solutions"
RELEASE_DIR = "notebooks"


def solution_source(aid: str, root: Path = ROOT) -> Path:
    """The jupytext percent-format file that is the one source of truth for a notebook."""
    return root / SOLUTIONS_DIR / aid / f"{aid}.py"


def solution_notebook(aid: str, root: Path = ROOT) -> Path:
    return root / SOLUTIONS_DIR / aid / f"{aid}.ipynb"


def release_notebook(aid: str, root: Path = ROOT) -> Path:
    return root / RELEASE_DIR / aid / f"{aid}.ipynb"


def colab_url(aid: str, repository: str | None = None) -> str:
    """Where Colab opens a release notebook of `repository` (default REPOSITORY) on GitHub."""
    return (
        f"https://colab.research.google.com/github/{repository or REPOSITORY}/blob/{BRANCH}/"
        f"{RELEASE_DIR}/{aid}/{aid}.ipynb"
    )


def binder_url(aid: str | None = None, repository: str | None = None) -> str:
    url = f"https://mybinder.org/v2/gh/{repository or REPOSITORY}/{BRANCH}"
    if aid:
        url += f"?labpath={RELEASE_DIR}%2F{aid}%2F{aid}.ipynb"
    return url


def practice_install_url(repository: str | None = None) -> str:
    """What pip installs in Colab for the practice checks: the student repository itself."""
    return f"git+https://github.com/{repository or REPOSITORY}@{BRANCH}"


_PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)")


def pinned_requirements(path: Path | None = None) -> dict[str, str]:
    """{name: version} for every `name==version` line of a requirements file (lower-case names)."""
    path = path or ROOT / "requirements.txt"
    pins = {}
    for line in path.read_text().splitlines():
        m = _PIN.match(line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def colab_install_specs() -> list[str]:
    pins = pinned_requirements()
    return [f"{name}=={pins[name.lower()]}" for name in COLAB_MISSING]
