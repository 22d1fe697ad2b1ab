"""nbgrader configuration for the course. nbgrader reads it when run from this folder.

Layout: `solutions/` is nbgrader's source folder and `notebooks/` its release folder, so
`nbgrader generate_assignment 01_dual_numbers` writes the student notebook that Colab opens.

Stock `nbgrader autograde` is routed through the same hardened path as
`python -m autograder grade`: cells restored from the source, student code in a sandbox,
verdicts computed outside the student's process, and feedback without hidden tests.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    GetGrades,
    IgnorePattern,
    IncludeHeaderFooter,
    InstantiateTests,
    LimitOutput,
    LockCells,
    OverwriteKernelspec,
    SaveAutoGrades,
    SaveCells,
)

from autograder import course  # noqa: E402
from autograder.nbgrader_plugin import AssignCourseLatePenalties, GradeSubmission, HideHiddenTests  # noqa: E402
from autograder.release_preprocessors import STUB_MARK, AddColabHeader, NameStubs  # noqa: E402

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = course.COURSE_ID
c.CourseDirectory.source_directory = course.SOLUTIONS_DIR
c.CourseDirectory.release_directory = course.RELEASE_DIR
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
# The jupytext sources (*.py) are the authors' files, not students'.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]
c.Exchange.root = os.path.join(HERE, "exchange")
c.Exchange.path_includes_course = True

# --- generate_assignment: named stubs, and a Colab badge and install cell on top ---------
c.ClearSolutions.code_stub = {"python": f'raise NotImplementedError("{STUB_MARK}")'}
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter,
    InstantiateTests,
    LockCells,
    ClearSolutions,
    NameStubs,
    ClearOutput,
    CheckCellMetadata,
    ComputeChecksums,
    SaveCells,
    ClearHiddenTests,
    ClearMarkScheme,
    AddColabHeader,
    ComputeChecksums,
    CheckCellMetadata,
]

# --- autograde: the grading core, as `python -m autograder grade` runs it ------------------
# GradeSubmission replaces OverwriteCells and Execute: it restores every protected cell from
# the source, runs the student's code in the sandbox, decides each test outside the
# student's process, and returns the notebook with one verdict output per test cell, which
# SaveAutoGrades scores. A grader failure raises: nbgrader then records no grade for that
# submission and lists it, instead of a 0.
c.Autograde.sanitize_preprocessors = [ClearOutput, GradeSubmission, OverwriteKernelspec, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignCourseLatePenalties,
    CheckCellMetadata,
]
# Late work: the course table's due date and late policy (autograder/grading/late.py), as
# `python -m autograder grade` applies them. AssignCourseLatePenalties writes the due date
# into the gradebook; its late-submission plugin takes off what the policy says. Override
# them like the CLI's --due/--late-policy:
#   c.AssignCourseLatePenalties.due = {"01_dual_numbers": "2026-12-01T23:59:00+01:00"}
#   c.AssignCourseLatePenalties.late_policy = {"01_dual_numbers": "per-day:10%,cap=50%"}
c.GradeSubmission.course_root = HERE
# The sandbox's limits default to autograder.grading.sandbox.Limits (the CLI's defaults too).
# Override them here, e.g. c.GradeSubmission.cell_timeout = 120, or per run with
# `nbgrader autograde ID --GradeSubmission.cell_timeout=120`.

# --- feedback: verdict messages only, never hidden-test source or tracebacks -----------
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
