"""Sphinx configuration of the course website (copied into the build's source folder by
`python -m autograder book`; see autograder/book/__init__.py). Nothing here loads from the web."""

import json
from pathlib import Path

from autograder import course

HERE = Path(__file__).resolve().parent

project = "Automatic differentiation, from dual numbers to JAX"
author = "the course authors"
copyright = "the course authors"
html_title = project

extensions = [
    "myst_nb",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static/mathjax: no CDN
]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The notebooks arrive executed (stub and solution runs merged): never run them again.
nb_execution_mode = "off"
nb_merge_streams = True
# No require.js or widget manager from a CDN: widget outputs are made static before the build.
nb_ipywidgets_js: dict[str, dict] = {}
myst_enable_extensions = ["dollarmath", "amsmath"]
# MathJax loads before the page's own scripts run, not deferred: jupyterquiz reads
# MathJax.version half a second after its quiz starts, and a deferred MathJax that takes
# longer (a busy machine, a slow network) leaves only the configuration object there, so the
# page raised "Cannot read properties of undefined (reading '0')". None drops the attribute.
mathjax_options = {"defer": None}
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "repository_url": f"https://github.com/{course.REPOSITORY}",
    "repository_branch": course.BRANCH,
    "use_repository_button": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
# light or dark, as the reader's system asks (the theme reads it from the context)
html_context = {"default_mode": "auto"}


def _set_alt_texts(app, doctree):
    """Alt text for each figure, written by the builder per image (keyed by the sha256 that
    myst-nb names image files by): the figure's titles and axis labels."""
    alt = json.loads((Path(app.srcdir) / "alt_texts.json").read_text())
    from docutils import nodes

    for image in doctree.findall(nodes.image):
        text = alt.get(Path(image["uri"]).stem)
        if text and not image.get("alt"):
            image["alt"] = text


def setup(app):
    app.connect("doctree-read", _set_alt_texts)
