"""Publishing the book: run profiles and parameters, papermill execution, fingerprints, the
generated pages (status, parameters, methods, colophon) and rendering with Jupyter Book.

What a chapter itself writes through (the ``Chapter`` record, tables, sentences, claims) is
:mod:`hflineage.chapter`.

``run(profile)`` executes the chapters; ``render(profile)`` builds ``_build/html``;
``book(profile)`` does both.
"""

from importlib import import_module
from typing import Any

#: Where each public name lives; imported on first use, so that ``hflineage claim
#: --from-results`` (which needs only the profiles and the claim records) does not pay for
#: Jupyter Book, papermill and the page generators.
_EXPORTS = {
    "book": "build",
    "render": "build",
    "stage_book": "build",
    "run": "pipeline",
    "Profile": "profiles",
    "available_profiles": "profiles",
    "load_profile": "profiles",
    "notebook_parameters": "profiles",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)


__all__ = [
    "Profile",
    "available_profiles",
    "book",
    "load_profile",
    "notebook_parameters",
    "render",
    "run",
    "stage_book",
]
