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
    AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput,
    ClearSolutions, ComputeChecksums, GetGrades, IgnorePattern, IncludeHeaderFooter,
    InstantiateTests, LimitOutput, LockCells, OverwriteKernelspec, SaveAutoGrades, SaveCells)

from autograder import course  # noqa: E402
from autograder.nbgrader_plugin import HideHiddenTests, RestoreCells, SandboxedExecute  # noqa: E402
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
    IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions, NameStubs, ClearOutput,
    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme,
    AddColabHeader, ComputeChecksums, CheckCellMetadata,
]

# --- autograde: restore every protected cell, execute in the sandbox, trusted verdicts ----
c.Autograde.sanitize_preprocessors = [
    ClearOutput, RestoreCells, OverwriteKernelspec, CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, CheckCellMetadata,
]
c.RestoreCells.course_root = HERE
c.SandboxedExecute.course_root = HERE
# Limits for each notebook's sandbox (also the defaults of `python -m autograder grade`).
c.SandboxedExecute.cell_timeout = 60
c.SandboxedExecute.notebook_timeout = 600
c.SandboxedExecute.memory_mb = 4096

# --- feedback: verdict messages only, never hidden-test source or tracebacks -----------
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
