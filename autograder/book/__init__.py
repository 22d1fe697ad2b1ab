"""`python -m autograder book`: the course website, built from the student release.

What a page shows, and where it comes from:

- the cells of the release notebook (`notebooks/<id>/<id>.ipynb`): prose, code, and each
  exercise as its stub, exactly as a student gets it;
- the outputs of running that release top to bottom (the *stub run*). A cell whose run there
  raised (an exercise stub, or a cell that needs an exercise's answer) depends on an exercise:
  it shows the outputs of running the release with the instructor's answers typed in (the
  *solution run*), under the label "Expected output". The solution run's answers never
  appear: only the outputs of cells whose source is the release's;
- ipywidgets controls cannot run without a kernel: each shows what it displayed at its first
  setting, with a note that it is interactive in Colab, Binder or JupyterLab;
- links that open the same notebook in Colab and Binder (`course.colab_url`, `course.binder_url`).

Everything the site loads is in the site: MathJax comes from the `sphinx-mathjax-offline`
package, the theme's fonts and scripts from its own package, so it works offline.

Sphinx with myst-nb and sphinx-book-theme builds the HTML from notebooks this module writes
into a temporary source folder (`conf.py` and `static/` beside this file). The build fails if
the solution run raises, or if a page would carry a hidden-test (probe) output.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from .. import course
from ..practice_cell import GRADE_ID as PRACTICE_CELL
from ..probes import MIME as PROBE_MIME

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = course.ROOT / "_build" / "book"
DEFAULT_CACHE = course.ROOT / "_build" / "book-cache"
CELL_TIMEOUT = 300
MARKER = ".course-book"  # in a folder the builder made: the only kind it replaces
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
EXPECTED_LABEL = "Expected output, from running the instructor's solution"
WIDGET_NOTE = "Interactive control: it runs in Colab, Binder or JupyterLab. Shown here as it first appears."
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

# Run in the kernel before the notebook (not part of any page): every figure the inline
# backend sends carries an alt text made from its titles and axis labels.
KERNEL_PREAMBLE = r'''
import matplotlib_inline.backend_inline as _course_inline

def _course_describe(fig):
    parts = []
    if fig._suptitle is not None and fig._suptitle.get_text():
        parts.append(fig._suptitle.get_text())
    for ax in fig.get_axes():
        bits = [ax.get_title() or ax.get_title("left") or ax.get_title("right")]
        if ax.get_xlabel():
            bits.append("x: " + ax.get_xlabel())
        if ax.get_ylabel():
            bits.append("y: " + ax.get_ylabel())
        bits = [b for b in bits if b]
        if bits:
            parts.append(", ".join(bits))
    return "Plot. " + "; ".join(parts) if parts else "Plot made by the code cell above."

def _course_metadata(fig, _original=_course_inline._fetch_figure_metadata):
    metadata = dict(_original(fig) or {})
    metadata["alt"] = _course_describe(fig)
    return metadata

_course_inline._fetch_figure_metadata = _course_metadata
del _course_metadata
'''


class BookError(RuntimeError):
    pass


def notebook_title(aid: str) -> str:
    """The title of a notebook, from the course table."""
    return course.assignment(aid).title


# --------------------------------------------------------------------------------------------
# executing the release (stub run) and the release with the answers (solution run)
# --------------------------------------------------------------------------------------------


def _execute(nb_json: str, allow_errors: bool) -> str:
    """Execute a notebook (JSON text) in a fresh kernel; return the executed notebook's JSON.
    Runs in a worker process: the environment changes stay there."""
    from ..notebook_runner import run_in_fresh_kernel

    nb = nbformat.reads(nb_json, as_version=4)
    preamble = nbformat.v4.new_code_cell(KERNEL_PREAMBLE)
    preamble.id = "course-book-preamble"
    nb.cells.insert(0, preamble)
    run_in_fresh_kernel(
        nb,
        timeout=CELL_TIMEOUT,
        allow_errors=allow_errors,
        env={"MPLBACKEND": INLINE_BACKEND},
    )
    preamble_out = nb.cells.pop(0)
    if any(o.get("output_type") == "error" for o in preamble_out.get("outputs", [])):
        raise BookError(f"the book's kernel preamble failed: {preamble_out.outputs}")
    return nbformat.writes(nb)


def _cache_key(nb_json: str, variant: str) -> str:
    h = hashlib.sha256()
    for part in (
        variant,
        nb_json,
        KERNEL_PREAMBLE,
        (course.ROOT / "requirements.txt").read_text(),
        sys.version,
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def execute_runs(aids, jobs: int = 2, cache: Path | None = None, log=print) -> dict:
    """{(aid, "stub"|"solution"): executed notebook} for each assignment, run in parallel."""
    from ..sample_submissions import solved

    inputs = {}
    for aid in aids:
        release = course.release_notebook(aid)
        if not release.exists():
            raise BookError(f"{release} does not exist: run `python -m autograder release` first")
        inputs[(aid, "stub")] = nbformat.writes(nbformat.read(release, as_version=4))
        inputs[(aid, "solution")] = nbformat.writes(solved(aid))
    results, todo = {}, {}
    for key, text in inputs.items():
        cached = cache / f"{key[0]}-{key[1]}-{_cache_key(text, key[1])}.ipynb" if cache else None
        if cached and cached.exists():
            results[key] = nbformat.reads(cached.read_text(), as_version=4)
            log(f"book: {key[0]} {key[1]} run: cached")
        else:
            todo[key] = (text, cached)
    if todo:
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {key: pool.submit(_execute, text, key[1] == "stub") for key, (text, _) in todo.items()}
            for key, future in futures.items():
                try:
                    out = future.result()
                except Exception as exc:  # nbclient's CellExecutionError names the cell
                    raise BookError(f"the {key[1]} run of {key[0]} failed:\n{str(exc)[-3000:]}") from exc
                results[key] = nbformat.reads(out, as_version=4)
                log(f"book: {key[0]} {key[1]} run: executed")
                cached = todo[key][1]
                if cached:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    for old in cached.parent.glob(f"{key[0]}-{key[1]}-*.ipynb"):
                        old.unlink()
                    cached.write_text(out)
    return results


# --------------------------------------------------------------------------------------------
# one page: the release's cells with the right outputs
# --------------------------------------------------------------------------------------------


def _is_answer(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def _raised(cell, models: dict) -> bool:
    """Did the cell raise, or did a widget it displays show an error (a callback that calls
    an exercise's stub)?"""
    outputs = list(cell.get("outputs", []))
    for out in cell.get("outputs", []):
        view = out.get("data", {}).get(WIDGET_VIEW)
        if view:
            outputs += _captured_outputs(view["model_id"], models)
    return any(o.get("output_type") == "error" for o in outputs)


def _html_output(html: str, css_class: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"text/html": f'<p class="{css_class}">{html}</p>'})


def _widget_models(nb) -> dict:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _captured_outputs(model_id: str, models: dict, seen=None) -> list:
    """The outputs that the Output widgets inside a widget (children included) captured."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in models:
        return []
    seen.add(model_id)
    state = models[model_id].get("state", {})
    outputs = [nbformat.from_dict(o) for o in state.get("outputs", [])]
    for child in state.get("children", []):
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            outputs += _captured_outputs(child[len("IPY_MODEL_") :], models, seen)
    return outputs


def _static_outputs(outputs, models: dict, aid: str, index: int) -> list:
    """Outputs a static page can show: widget views become what their Output widgets
    captured, with a note; a probe record stops the build."""
    shown = []
    for out in outputs:
        data = out.get("data", {})
        if PROBE_MIME in data or PROBE_MIME in json.dumps(out):
            raise BookError(
                f"{aid} cell {index}: a hidden-test record ({PROBE_MIME}) in the release's "
                "outputs; the release must not contain hidden tests"
            )
        if WIDGET_VIEW in data:
            shown.append(_html_output(WIDGET_NOTE, "course-widget-note"))
            shown += _static_outputs(_captured_outputs(data[WIDGET_VIEW]["model_id"], models), {}, aid, index)
            continue
        shown.append(out)
    return shown


def _launch_cell(aid: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(
        '<nav class="course-launch" aria-label="Run this notebook">\n'
        f'<a class="course-launch-link" href="{course.colab_url(aid)}">Open in Colab</a>\n'
        f'<a class="course-launch-link" href="{course.binder_url(aid)}">Launch on Binder</a>\n'
        "</nav>"
    )
    cell.id = "course-launch"
    return cell


def page_notebook(aid: str, stub_run, solution_run, alt_texts: dict) -> nbformat.NotebookNode:
    """The notebook that becomes the page of `aid`; fills alt_texts {png sha256: alt}."""
    release = nbformat.read(course.release_notebook(aid), as_version=4)
    if [c.source for c in stub_run.cells] != [c.source for c in release.cells]:
        raise BookError(f"{aid}: the stub run is not of the current release; rerun the book build")
    if len(solution_run.cells) != len(release.cells):
        raise BookError(f"{aid}: the solution run does not match the release cell for cell")
    stub_models, solution_models = _widget_models(stub_run), _widget_models(solution_run)
    page = copy.deepcopy(release)
    page.metadata = {k: v for k, v in release.metadata.items() if k in ("kernelspec", "language_info")}
    cells = []
    for i, cell in enumerate(page.cells):
        cell.metadata.pop("nbgrader", None)
        if cell.get("id") == "colab-badge":  # its badge is an image from the web: replaced below
            continue
        if cell.get("id") == PRACTICE_CELL:  # practice checks run in a notebook, not on a page
            continue
        if cell.cell_type == "code":
            stub = stub_run.cells[i]
            if _is_answer(cell) or _raised(stub, stub_models):
                if _raised(solution_run.cells[i], solution_models):
                    raise BookError(f"{aid} cell {i} raises in the solution run")
                solution_out = _static_outputs(
                    solution_run.cells[i].get("outputs", []), solution_models, aid, i
                )
                cell.outputs = (
                    [_html_output(EXPECTED_LABEL, "course-expected-label")] + solution_out
                    if solution_out
                    else []
                )
                if solution_out:
                    cell.metadata.setdefault("tags", []).append("course-expected")
            else:
                cell.outputs = _static_outputs(stub.get("outputs", []), stub_models, aid, i)
            cell.execution_count = None
            for out in cell.outputs:
                if "execution_count" in out:
                    out.execution_count = None
                png = out.get("data", {}).get("image/png")
                if png:
                    digest = hashlib.sha256(base64.b64decode(png)).hexdigest()
                    alt_texts[digest] = (
                        out.get("metadata", {}).get("alt") or f"Plot made by cell {i} of {aid}"
                    )
        cells.append(cell)
        if (
            cell.cell_type == "markdown"
            and cell.source.lstrip().startswith("# ")
            and not any(c.get("id") == "course-launch" for c in cells)
        ):
            cells.append(_launch_cell(aid))
    if not any(c.get("id") == "course-launch" for c in cells):
        raise BookError(f"{aid}: the release has no '# ' title cell to put the launch links under")
    page.cells = cells
    return page


# --------------------------------------------------------------------------------------------
# the site
# --------------------------------------------------------------------------------------------


def landing_page(aids) -> str:
    from jinja2 import Environment, FileSystemLoader

    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=False, keep_trailing_newline=True
    )
    notebooks = [
        {
            "number": n,
            "id": aid,
            "title": notebook_title(aid),
            "colab": course.colab_url(aid),
            "binder": course.binder_url(aid),
        }
        for n, aid in enumerate(aids, 1)
    ]
    return env.get_template("index.md.j2").render(
        notebooks=notebooks, binder=course.binder_url(), repository=course.REPOSITORY
    )


def write_sources(src: Path, aids, runs) -> None:
    src.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "conf.py", src / "conf.py")
    shutil.copytree(HERE / "static", src / "_static", dirs_exist_ok=True)
    alt_texts: dict[str, str] = {}
    for aid in aids:
        page = page_notebook(aid, runs[(aid, "stub")], runs[(aid, "solution")], alt_texts)
        nbformat.write(page, src / f"{aid}.ipynb")
    (src / "alt_texts.json").write_text(json.dumps(alt_texts, indent=1, sort_keys=True))
    (src / "index.md").write_text(landing_page(aids))


def build_book(
    out: Path = DEFAULT_OUT, aids=None, jobs: int = 2, cache: Path | None = DEFAULT_CACHE, log=print
) -> Path:
    """Build the site into `out` (replaced); return the path of its landing page."""
    aids = list(aids or course.ASSIGNMENTS)
    unknown = [a for a in aids if a not in course.ASSIGNMENTS]
    if unknown:
        raise BookError(f"unknown assignment id(s) {unknown}; known: {', '.join(course.ASSIGNMENTS)}")
    out = Path(out).resolve()
    if out == course.ROOT or course.ROOT.is_relative_to(out):
        raise BookError(f"refusing to build into {out}: it would replace the course itself")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise BookError(
            f"refusing to build into {out}: it holds files that are not an earlier build of the book "
            "(choose an empty or new folder)"
        )
    runs = execute_runs(aids, jobs=jobs, cache=cache, log=log)
    with tempfile.TemporaryDirectory(prefix="autodiff-book-") as tmp:
        src = Path(tmp) / "src"
        write_sources(src, aids, runs)
        if out.exists():
            shutil.rmtree(out)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "sphinx",
                "-b",
                "html",
                "-q",
                "-W",
                "--keep-going",
                "-d",
                str(Path(tmp) / "doctrees"),
                str(src),
                str(out),
            ],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise BookError(f"sphinx-build failed:\n{(proc.stderr or proc.stdout)[-4000:]}")
    for stray in (".buildinfo", ".doctrees"):
        path = out / stray
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    (out / MARKER).write_text("Built by `python -m autograder book`; the next build replaces this folder.\n")
    log(f"book: wrote {out / 'index.html'}")
    return out / "index.html"
