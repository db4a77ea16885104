"""Publishing the book: run profiles and parameters, papermill execution, fingerprints, the
generated pages (status, parameters, methods, colophon) and rendering with Jupyter Book.

What a chapter itself writes through (the ``Chapter`` record, tables, sentences, claims) is
:mod:`hflineage.chapter`.

``run(profile)`` executes the chapters; ``render(profile)`` builds ``_build/html``;
``book(profile)`` does both.
"""

from .build import book, render, stage_book
from .pipeline import run
from .profiles import Profile, available_profiles, load_profile, notebook_parameters

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
