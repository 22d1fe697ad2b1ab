"""What the browser tests need: JupyterLab on a temporary copy of the course, headless Chromium,
and a few page helpers that drive JupyterLab the way a student would.

- `JupyterLab` starts `.venv`'s JupyterLab on 127.0.0.1 with a token and --allow-root, every
  Jupyter/IPython/Matplotlib folder in a temporary directory, serving a temporary copy of the
  course (so no notebook in the repository is ever saved with outputs, and no gradebook,
  checkpoint or stray file lands in it). `stop()` ends exactly the process it started (its
  process group) and the kernels that process started.
- `launch_chromium` drives Debian's Chromium (`/usr/bin/chromium`, or $AUTODIFF_CHROMIUM)
  through Playwright's Python API; `playwright install` is never needed. `require_chromium`
  skips a test without them (fails it under CI), `screenshots_folder` is where tests save
  their screenshots.
- `LabPage` opens a notebook, runs one cell at a time (JupyterLab's "Run All" stops at the
  first error, and the release is full of intended ones), and reads what is on screen.
- `classify_errors` decides which visible errors are the intended exercise stubs.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
CHROMIUM = Path(os.environ.get("AUTODIFF_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-breakpad",
    "--disable-dev-shm-usage",
)

# Folders Jupyter, IPython, Matplotlib and JupyterLab would otherwise create in the home folder.
_JUPYTER_DIRS = {
    "JUPYTER_CONFIG_DIR": "config",
    "JUPYTER_DATA_DIR": "data",
    "JUPYTER_RUNTIME_DIR": "runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "mpl",
    "XDG_CACHE_HOME": "cache",
    "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
    "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
}

# JupyterLab settings for a test: render every cell (no virtual scrolling, so the whole
# notebook is in the DOM and in screenshots), no news or update pop-ups, no autosave races.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

COURSE_FILES = ("nbgrader_config.py", "notebooks", "solutions")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Linux: SIGTERM the server if the test process dies without cleaning up (e.g. SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def lab_command() -> list[str]:
    exe = VENV_BIN / "jupyter-lab"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyterlab"]


def copy_course(dest: Path, root: Path = ROOT) -> Path:
    """A throwaway copy of the nbgrader course: its config, release and source folders."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "gradebook.db")
    for name in COURSE_FILES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def add_to_gradebook(course_dir: Path, course_id: str, assignments: list[str], env: dict) -> subprocess.Popen:
    """Start putting assignments into the copy's gradebook, as `nbgrader db assignment add`
    would, in one process (nbgrader's CLI takes seconds per call). nbgrader runs `alembic`
    from PATH, which `env` provides. Returns the running process."""
    code = (
        "import sys\nfrom nbgrader.api import Gradebook\n"
        "with Gradebook(sys.argv[1], course_id=sys.argv[2]) as gb:\n"
        "    for aid in sys.argv[3:]:\n"
        "        gb.update_or_create_assignment(aid)\n"
    )
    db_url = "sqlite:///" + str(course_dir / "gradebook.db")
    return subprocess.Popen(
        [sys.executable, "-c", code, db_url, course_id, *assignments],
        cwd=course_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


class JupyterLab:
    """JupyterLab from .venv serving a temporary course copy; `stop()` always cleans up."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.course = self.workdir / "course"
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.env = self._environment()

    def _environment(self) -> dict:
        env = dict(os.environ)
        jupyter = self.workdir / "jupyter"
        for var, sub in _JUPYTER_DIRS.items():
            env[var] = str(jupyter / sub)
            Path(env[var]).mkdir(parents=True, exist_ok=True)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        # The student's kernel must draw inline plots: an inherited MPLBACKEND=Agg would hide them.
        env.pop("MPLBACKEND", None)
        env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
        for rel, values in LAB_SETTINGS.items():
            path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return env

    def url(self, path: str = "") -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{sep}token={self.token}"

    def start(self, course_id: str, assignments: list[str], timeout: float = 180) -> JupyterLab:
        """Copy the course, start JupyterLab and, meanwhile, fill the copy's gradebook."""
        copy_course(self.course)
        cmd = lab_command() + [
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--allow-root",
            f"--ServerApp.root_dir={self.course}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run cells, read the kernel state
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.course,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended in stop()
            preexec_fn=_die_with_parent,
        )
        atexit.register(self.stop)  # also when pytest is interrupted before the fixture's teardown
        gradebook = add_to_gradebook(self.course, course_id, assignments, self.env)
        try:
            out, _ = gradebook.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            gradebook.kill()
            out, _ = gradebook.communicate()
        if gradebook.returncode != 0:
            raise RuntimeError(
                f"could not fill the gradebook of the course copy:\n{out.decode(errors='replace')}"
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=5) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace: float = 15) -> None:
        """End the server we started and everything it started (kernels run in their own
        sessions, so they are collected by process id before the server goes)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            import psutil

            children = psutil.Process(proc.pid).children(recursive=True)
        except Exception:  # noqa: BLE001 - psutil missing or the server already gone
            children = []
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
                proc.wait(grace)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(10)
        for child in children:
            try:
                if child.is_running():
                    child.kill()
            except Exception:  # noqa: BLE001 - already gone
                pass
        if self._log:
            self._log.close()


def browser_required() -> bool:
    """CI (or AUTODIFF_REQUIRE_BROWSER) turns a missing browser from a skip into a failure."""
    return bool(os.environ.get("CI") or os.environ.get("AUTODIFF_REQUIRE_BROWSER"))


def unavailable(reason: str):
    import pytest

    if browser_required():
        pytest.fail(f"browser test cannot run: {reason} (CI or AUTODIFF_REQUIRE_BROWSER is set)")
    pytest.skip(f"browser test skipped: {reason}")


def require_chromium() -> None:
    """Skip (or, in CI, fail) unless Chromium and Playwright's Python package are here."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} not found (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the playwright Python package is not installed")


def announce(request, message: str) -> None:
    """Print even while pytest captures output (the screenshots folder must be findable)."""
    capman = request.config.pluginmanager.getplugin("capturemanager")
    if capman:
        with capman.global_and_fixture_disabled():
            print(f"\n{message}", flush=True)
    else:
        print(message)


def screenshots_folder(request) -> Path:
    """$AUTODIFF_SCREENSHOTS_DIR, or a new temporary folder; printed either way."""
    import tempfile

    folder = os.environ.get("AUTODIFF_SCREENSHOTS_DIR")
    path = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="autodiff-screenshots-"))
    path.mkdir(parents=True, exist_ok=True)
    announce(request, f"[browser] screenshots: {path}")
    return path


def chromium_env(workdir: Path) -> dict:
    """Chromium writes crash-report and dconf folders under HOME and XDG dirs: keep them in workdir."""
    env = dict(os.environ)
    for var, sub in {"HOME": "home", "XDG_CONFIG_HOME": "xdg-config", "XDG_CACHE_HOME": "xdg-cache"}.items():
        env[var] = str(workdir / "chromium" / sub)
        Path(env[var]).mkdir(parents=True, exist_ok=True)
    return env


def launch_chromium(playwright, workdir: Path):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=list(CHROMIUM_ARGS),
        env=chromium_env(Path(workdir)),
        headless=True,
        timeout=60_000,
    )


@contextlib.contextmanager
def running_chromium(workdir: Path):
    """Headless Chromium through Playwright, closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p, workdir)
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------------------------
# What counts as an intended error
# --------------------------------------------------------------------------------------------

STUB_ERROR = re.compile(r"^NotImplementedError: Exercise [\w.\-]+: .+")
_EXC_LINE = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Iteration))(?::\s?(.*))?$"
)
_NAME_ERROR = re.compile(r"name '([A-Za-z_]\w*)' is not defined")


def final_exception(text: str) -> str | None:
    """The last 'SomeError: message' line of a traceback as shown on screen, or None."""
    found = None
    for line in text.splitlines():
        line = line.strip()
        if _EXC_LINE.match(line):
            found = line
    return found


def bound_names(source: str) -> set[str]:
    """Names a cell would define (assignments, def, class, import, for/with targets)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


@dataclass
class ShownError:
    cell: int
    text: str  # the whole stderr block as rendered
    in_widget: bool = False  # inside an ipywidgets Output (e.g. an interactive plot)

    @property
    def summary(self) -> str:
        if not self.text.strip():
            return "(empty stderr output)"
        return final_exception(self.text) or self.text.strip().splitlines()[-1][:200]


@dataclass
class ErrorVerdict:
    intended: list[ShownError] = field(default_factory=list)
    unintended: list[ShownError] = field(default_factory=list)


def classify_errors(shown: list[ShownError], sources: dict[int, str]) -> ErrorVerdict:
    """Split what the student sees in red into intended and unintended.

    Intended: the traceback ends in a stub's `NotImplementedError("Exercise <id>: ...")`, however
    deep the stub was called; or it is a `NameError` for a name that an earlier cell, itself
    stopped by a stub, would have defined. Anything else (another exception, a warning, any other
    text on stderr) is unintended.
    """
    verdict = ErrorVerdict()
    stopped_cells: set[int] = set()
    for err in sorted(shown, key=lambda e: e.cell):
        last = final_exception(err.text)
        ok = bool(last and STUB_ERROR.match(last))
        if not ok and last and last.startswith("NameError"):
            m = _NAME_ERROR.search(last)
            ok = bool(m) and any(
                m.group(1) in bound_names(sources.get(c, "")) for c in stopped_cells if c < err.cell
            )
        (verdict.intended if ok else verdict.unintended).append(err)
        if ok:
            stopped_cells.add(err.cell)
    return verdict


# --------------------------------------------------------------------------------------------
# Driving JupyterLab
# --------------------------------------------------------------------------------------------

_JS_OPEN = """async (path) => {
  const app = window.jupyterapp;
  window.__autodiff = {path, panel: null, error: null};
  try {
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    await panel.context.ready;
    window.__autodiff.panel = panel;
  } catch (e) { window.__autodiff.error = String(e); }
}"""

_JS_KERNEL_IDLE = """() => {
  const p = window.__autodiff && window.__autodiff.panel;
  const k = p && p.sessionContext.session && p.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}"""

# Runs the given cells one after the other, each once the previous one has finished (a cell
# that raises does not stop the next, unlike "Run All"); progress is polled from Python.
_JS_RUN_CELLS = """(indices) => {
  const app = window.jupyterapp, panel = window.__autodiff.panel, nb = panel.content;
  const state = {indices, position: 0, started: performance.now(), done: false, error: null};
  window.__autodiffRun = state;
  (async () => {
    try {
      for (const i of indices) {
        state.started = performance.now();
        app.shell.activateById(panel.id);
        nb.deselectAll();
        nb.activeCellIndex = i;
        await app.commands.execute('notebook:run-cell');
        state.position += 1;
      }
    } catch (e) { state.error = String(e); }
    state.done = true;
  })();
}"""

# Everything on screen in red, per cell: stderr blocks (tracebacks, warnings) wherever they
# are rendered, including inside widget Output areas; JupyterLab's own render errors; MathJax
# errors; raw LaTeX that MathJax did not typeset; widgets that failed to display.
_JS_SCREEN = """() => {
  const cells = window.__autodiff.panel.content.widgets;
  return cells.map((cell, i) => {
    const n = cell.node;
    const stderr = [...n.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map(e => ({text: e.textContent, inWidget: !!e.closest('.jupyter-widgets')}));
    const mathErrors = [...n.querySelectorAll('mjx-merror')].map(e => e.getAttribute('data-mjx-error') || e.textContent);
    const rawLatex = [...n.querySelectorAll('.jp-RenderedLatex')].filter(e => !e.querySelector('mjx-container'))
      .map(e => e.textContent.slice(0, 200));
    const text = n.querySelector('.jp-Cell-outputWrapper') ? n.querySelector('.jp-Cell-outputWrapper').textContent : '';
    const widgetErrors = [];
    if (/Error displaying widget|Failed to load model class|Javascript Error/.test(text)) widgetErrors.push(text.slice(0, 300));
    return {index: i, type: cell.model.type, executionCount: cell.model.type === 'code' ? cell.model.executionCount : null,
            stderr, mathErrors, rawLatex, widgetErrors,
            widgets: n.querySelectorAll('.jupyter-widgets').length,
            sliders: n.querySelectorAll('.widget-slider .noUi-handle').length,
            dropdowns: n.querySelectorAll('.widget-dropdown select').length,
            quizzes: n.querySelectorAll('.Quiz').length};
  });
}"""


def _output_snapshot_js(cell: int) -> str:
    return f"""() => {{
  const n = window.__autodiff.panel.content.widgets[{cell}].node;
  const outs = [...n.querySelectorAll('.widget-output')];
  const areas = outs.length ? outs : [n.querySelector('.jp-Cell-outputWrapper')];
  return areas.map(a => a.textContent + '|' + [...a.querySelectorAll('img')].map(i => i.src.length + ':' + i.src.slice(-64)).join(',')
                          + '|' + [...a.querySelectorAll('svg')].map(s => s.outerHTML.length).join(',')).join('\\n');
}}"""


class LabPage:
    """One browser tab on JupyterLab, with a notebook open in it."""

    def __init__(self, page, lab: JupyterLab):
        self.page, self.lab = page, lab
        self.console: list[str] = []
        self.page_errors: list[str] = []  # uncaught exceptions, with the script line they come from
        self.blocked: list[str] = []  # requests for anything but the server (aborted)
        page.on(
            "console",
            lambda m: (
                self.console.append(f"{m.type}: {m.text[:300]}") if m.type in ("error", "warning") else None
            ),
        )
        page.on("pageerror", self._page_error)
        # Offline here, and a test must not depend on the network: only the server is reachable.
        local = (self.lab.base_url, self.lab.base_url.replace("http", "ws"), "data:", "blob:")
        page.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith(local) else self._block(route),
        )

    def _page_error(self, error) -> None:
        where = next((ln.strip() for ln in (error.stack or "").splitlines()[1:2]), "")
        self.page_errors.append(f"{str(error)[:300]} {where[:200]}".strip())
        self.console.append(f"pageerror: {self.page_errors[-1]}")

    def _block(self, route) -> None:
        self.blocked.append(route.request.url[:200])
        self.console.append(f"blocked: {route.request.url[:200]}")
        route.abort()

    def load_lab(self, timeout: float = 120) -> None:
        self.page.goto(
            self.lab.url("lab/workspaces/autodiff-browser-test?reset"),
            timeout=timeout * 1000,
            wait_until="domcontentloaded",
        )
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout * 1000)
        self.page.evaluate("async () => { await window.jupyterapp.restored; }")

    def open_notebook(self, path: str, timeout: float = 120) -> int:
        """Open `path` (relative to the course copy), wait for its kernel; return the cell count."""
        self.page.evaluate(_JS_OPEN, path)
        self.page.wait_for_function(
            "() => window.__autodiff.panel || window.__autodiff.error", timeout=timeout * 1000
        )
        error = self.page.evaluate("() => window.__autodiff.error")
        assert not error, f"JupyterLab could not open {path}: {error}"
        self.wait_idle(timeout)
        return self.page.evaluate("() => window.__autodiff.panel.content.widgets.length")

    def wait_idle(self, timeout: float = 120) -> None:
        self.page.wait_for_function(_JS_KERNEL_IDLE, timeout=timeout * 1000, polling=100)

    def run_cells(self, indices: list[int], timeout: float = 90) -> None:
        """Run these cells in order, as a student pressing Shift+Enter on each; `timeout`
        bounds each cell."""
        self.page.evaluate(_JS_RUN_CELLS, list(indices))
        while True:
            state = self.page.evaluate("""() => { const s = window.__autodiffRun;
                return {done: s.done, error: s.error, position: s.position,
                        elapsed: (performance.now() - s.started) / 1000}; }""")
            if state["error"]:
                raise RuntimeError(
                    f"JupyterLab could not run cell {indices[state['position']]}: {state['error']}"
                )
            if state["done"]:
                return
            if state["elapsed"] > timeout:
                raise TimeoutError(f"cell {indices[state['position']]} still running after {timeout:.0f} s")
            time.sleep(0.1)

    def cell_types(self) -> list[str]:
        return self.page.evaluate("() => window.__autodiff.panel.content.widgets.map(c => c.model.type)")

    def cell_metadata(self) -> list[dict]:
        return self.page.evaluate(
            "() => window.__autodiff.panel.content.widgets.map(c => c.model.getMetadata('nbgrader') || {})"
        )

    def set_source(self, index: int, source: str) -> None:
        self.page.evaluate(
            "([i, s]) => window.__autodiff.panel.content.widgets[i].model.sharedModel.setSource(s)",
            [index, source],
        )

    def screen(self) -> list[dict]:
        return self.page.evaluate(_JS_SCREEN)

    def cell(self, index: int):
        """A Playwright locator for cell `index` of the open notebook."""
        self.page.evaluate("""() => window.__autodiff.panel.content.widgets.forEach(
            (c, i) => { c.node.dataset.autodiffCell = String(i); })""")
        return self.page.locator(f'[data-autodiff-cell="{index}"]')

    def output_snapshot(self, index: int) -> str:
        return self.page.evaluate(_output_snapshot_js(index))

    def wait_output_settles(self, index: int, before: str, timeout: float = 60) -> str:
        """Wait until cell `index`'s output differs from `before`, the kernel is idle, and the
        output has stopped changing; return it (or the unchanged output after `timeout`)."""
        deadline = time.monotonic() + timeout
        last, stable_since = self.output_snapshot(index), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = self.output_snapshot(index)
            if now != last:
                last, stable_since = now, time.monotonic()
                continue
            idle = self.page.evaluate(_JS_KERNEL_IDLE)
            if now != before and idle and time.monotonic() - stable_since > 0.75:
                return now
        return last

    def close_notebook(self) -> None:
        """Shut the kernel down and close the tab, discarding changes (the copy is thrown away)."""
        self.page.evaluate("""async () => {
          const p = window.__autodiff && window.__autodiff.panel;
          if (!p) return;
          try { await p.sessionContext.shutdown(); } catch (e) {}
          p.context.model.dirty = false;
          p.dispose();
          window.__autodiff.panel = null;
        }""")
