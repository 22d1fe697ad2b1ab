"""The course website (`make book`): what students read must hold no solution and no hidden test.

- Every built file is scanned for every non-trivial line of the solution and hidden-test
  regions of solutions/*.ipynb (code is split into highlighting spans, so HTML is also read as
  text; autograder/leaks.py, the scanner `publish` uses too), for the probe records' MIME type
  and for the region markers.
- The landing page lists the six notebooks in order with their titles; each page has its
  Colab and Binder links (from autograder.course), alt text on every figure, exercise stubs,
  labelled expected outputs, and nothing loaded from another host.
- In headless Chromium, offline: every page loads in light and dark mode, every image loads,
  MathJax typesets, the quiz renders, no console error and no uncaught exception, and text
  keeps its contrast.

The site is built once into a temporary folder, or taken from $AUTODIFF_BOOK_DIR (CI builds it
with `make book` first, then points the tests at it). Screenshots go to
$AUTODIFF_SCREENSHOTS_DIR; AUTODIFF_UPDATE_SCREENSHOT=1 also refreshes docs/images/book.png.
"""

from __future__ import annotations

import functools
import html
import os
import re
import shutil
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder import leaks as leaks_module
from autograder.book import EXPECTED_LABEL, WIDGET_NOTE, build_book, notebook_title
from autograder.leaks import leaks
from autograder.probes import MIME as PROBE_MIME

pytestmark = pytest.mark.slow
ROOT = course.ROOT
README_SCREENSHOT = ROOT / "docs" / "images" / "book.png"
README_PAGE = "02_euler_rk4"


# --------------------------------------------------------------------------------------------
# what must never be published: the scanner `publish` uses too (autograder/leaks.py)
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def public_text() -> str:
    return leaks_module.public_text()


def secret_lines(aid: str) -> set[str]:
    return leaks_module.secret_lines(aid, public_text())


# --------------------------------------------------------------------------------------------
# the site
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    given = os.environ.get("AUTODIFF_BOOK_DIR")
    if given:
        path = Path(given).resolve()
        assert (path / "index.html").is_file(), (
            f"AUTODIFF_BOOK_DIR={given} holds no built site (run `make book`)"
        )
        return path
    out = tmp_path_factory.mktemp("book") / "site"
    build_book(out, jobs=2, cache=None, log=lambda message: None)
    return out


def _page(site: Path, name: str) -> str:
    return (site / f"{name}.html").read_text()


def _text(page: str) -> str:
    return leaks_module.norm(html.unescape(re.sub(r"<[^>]+>", "", page)))


def test_the_scanner_finds_a_line_in_highlighted_code(tmp_path):
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    secret = next(iter(sorted(secret_lines("01_dual_numbers"))))
    (tmp_path / "page.html").write_text(
        "<html><body>" + highlight(f"    {secret}\n", PythonLexer(), HtmlFormatter()) + "</body></html>"
    )
    (tmp_path / "plain.txt").write_text("nothing to see")
    assert leaks(tmp_path, {secret}) == {"page.html": [secret]}


@pytest.mark.parametrize("aid", course.ASSIGNMENTS)
def test_no_solution_or_hidden_test_line_anywhere_in_the_site(site, aid):
    secrets = secret_lines(aid)
    assert len(secrets) >= 5, (
        f"{aid}: only {len(secrets)} secret lines found; is the scan reading the source?"
    )
    found = leaks(site, secrets)
    assert not found, f"{aid}: solution or hidden-test lines in the site: {found}"


def test_no_probe_record_and_no_region_marker_anywhere(site):
    bad = []
    for path in site.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            for needle in (
                PROBE_MIME,
                "BEGIN SOLUTION",
                "END SOLUTION",
                "BEGIN HIDDEN TESTS",
                "autograder.probes",
            ):
                if needle.encode() in raw:
                    bad.append(f"{path.relative_to(site)}: {needle}")
    assert not bad, bad


def test_landing_page_lists_the_notebooks_in_order(site):
    index = _page(site, "index")
    order = [m for m in re.findall(r'href="([0-9]{2}_[a-z0-9_]+)\.html"', index)]
    first_seen = list(dict.fromkeys(order))
    assert first_seen == list(course.ASSIGNMENTS), first_seen
    text = _text(index)
    for aid in course.ASSIGNMENTS:
        assert notebook_title(aid) in text, f"the landing page does not name {aid} by its title"
        assert f'href="{html.escape(course.colab_url(aid))}"' in index
        assert f'href="{html.escape(course.binder_url(aid))}"' in index


@pytest.mark.parametrize("aid", course.ASSIGNMENTS)
def test_each_page_links_to_colab_and_binder_and_describes_its_figures(site, aid):
    page = _page(site, aid)
    assert f'href="{html.escape(course.colab_url(aid))}"' in page, f"{aid}: no Colab link"
    assert f'href="{html.escape(course.binder_url(aid))}"' in page, f"{aid}: no Binder link"
    images = re.findall(r"<img\b[^>]*>", page)
    assert images, f"{aid}: no figure on the page"
    for tag in images:
        alt = re.search(r'\balt="([^"]*)"', tag)
        assert alt and alt.group(1).strip(), f"{aid}: figure without alt text: {tag[:200]}"
        assert not re.search(r"\.(png|svg|jpe?g)$", alt.group(1)), (
            f"{aid}: alt text is a file name: {tag[:200]}"
        )


@pytest.mark.parametrize("aid", course.ASSIGNMENTS)
def test_exercises_show_the_stub_and_label_solution_outputs(site, aid):
    text = _text(_page(site, aid))
    release = nbformat.read(course.release_notebook(aid), as_version=4)
    stubs = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert stubs and text.count('raise NotImplementedError("Exercise') >= len(stubs)
    assert "Traceback" not in text, f"{aid}: a traceback on the page"
    assert "NotImplementedError: Exercise" not in text, f"{aid}: a stub's error output on the page"
    assert EXPECTED_LABEL in text, f"{aid}: no output is labelled as the solution's"


def test_widgets_are_shown_with_a_note(site):
    assert all(WIDGET_NOTE in _text(_page(site, aid)) for aid in course.ASSIGNMENTS)


def test_nothing_is_loaded_from_another_host(site):
    remote = []
    for path in site.rglob("*"):
        if path.suffix in (".html", ".css"):
            text = path.read_text(errors="replace")
            remote += [
                f"{path.relative_to(site)}: {m}"
                for m in re.findall(
                    r"""(?:\bsrc=["']?|url\(\s*["']?|@import\s+["']?)(?:https?:)?//[^"')\s>]+""", text
                )
            ]
            remote += [
                f"{path.relative_to(site)}: {m}"
                for m in re.findall(r"""<link\b[^>]*\bhref=["'](?:https?:)?//[^"']+["'][^>]*>""", text)
                if "stylesheet" in m or "preload" in m
            ]
    assert not remote, remote[:10]


# --------------------------------------------------------------------------------------------
# in the browser
# --------------------------------------------------------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(site):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    from browser_support import CHROMIUM, launch_chromium

    if not CHROMIUM.exists():
        if os.environ.get("CI") or os.environ.get("AUTODIFF_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} not found (CI or AUTODIFF_REQUIRE_BROWSER is set)")
        pytest.skip(f"{CHROMIUM} not found (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p, tmp_path_factory.mktemp("chromium"))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = os.environ.get("AUTODIFF_SCREENSHOTS_DIR")
    path = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="autodiff-book-screenshots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# The contrast ratio (WCAG) of an element's text on the first opaque background behind it.
_JS_CONTRAST = """(selector) => {
  const rgb = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                       return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  return [...document.querySelectorAll(selector)].slice(0, 20).map((el) => {
    let bg = null;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.a > 0.5) { bg = c; break; }
    }
    bg = bg || {r: 255, g: 255, b: 255};
    const fg = rgb(getComputedStyle(el).color), [a, b] = [lum(fg), lum(bg)];
    return {text: el.textContent.trim().slice(0, 40), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
  });
}"""

READABLE = [
    "article p",
    "article li",
    ".course-launch-link",
    "p.course-expected-label",
    "p.course-widget-note",
    "article h1",
    "article h2",
]


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["index", *course.ASSIGNMENTS])
def test_page_loads_offline_in_chromium(chromium, served, shots, site, name, scheme):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    problems, outside = [], []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text[:300]}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {str(e)[:300]}"))

    def local_only(route):
        url = route.request.url
        if not url.startswith((served, "data:", "blob:")):
            outside.append(url)
            return route.abort()
        if url.endswith("tex-chtml.js"):  # MathJax slower than the quiz's 500 ms (a busy machine)
            time.sleep(1.0)
        return route.continue_()

    page.route("**/*", local_only)
    try:
        response = page.goto(f"{served}/{name}.html", wait_until="load")
        assert response and response.ok, f"{name}: HTTP {response and response.status}"
        assert page.evaluate("() => document.documentElement.dataset.theme") == scheme
        has_math = page.evaluate("() => !!document.querySelector('.math')")
        if has_math:
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000
            )
            page.evaluate("() => MathJax.startup.promise")
            assert page.evaluate("() => document.querySelectorAll('mjx-container').length") > 0, (
                f"{name}: no math typeset"
            )
            assert page.evaluate("() => document.querySelectorAll('mjx-merror').length") == 0, (
                f"{name}: MathJax errors"
            )
        broken = page.evaluate("""async () => {
            const imgs = [...document.images];
            await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
            return imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src'));
        }""")
        assert not broken, f"{name}: images that did not load: {broken}"
        if name != "index":
            page.wait_for_function("() => document.querySelector('.Quiz')", timeout=10_000)
            assert page.evaluate("() => document.querySelectorAll('img').length") > 0
        low = [
            f"{sel}: {r['text']!r} {r['ratio']:.1f}"
            for sel in READABLE
            for r in page.evaluate(_JS_CONTRAST, sel)
            if r["text"] and r["ratio"] < 4.5
        ]
        assert not low, f"{name} ({scheme}): text below contrast 4.5:1: {low[:8]}"
        page.wait_for_timeout(700)  # the quiz's own delayed MathJax call
        page.screenshot(path=str(shots / f"book-{name}-{scheme}.png"))
        if name != "index":  # an exercise's stub and its labelled expected output, with a figure nearby
            page.evaluate(
                "() => document.querySelector('.tag_course-expected').scrollIntoView({block: 'center'})"
            )
            page.wait_for_timeout(200)
            page.screenshot(path=str(shots / f"book-{name}-expected-{scheme}.png"))
        if name == README_PAGE and scheme == "light" and os.environ.get("AUTODIFF_UPDATE_SCREENSHOT") == "1":
            README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(shots / f"book-{name}-expected-{scheme}.png", README_SCREENSHOT)
        assert not outside, f"{name}: requests for other hosts (the site must work offline): {outside[:5]}"
        assert not problems, f"{name} ({scheme}): " + "\n".join(problems[:10])
    finally:
        context.close()
