"""The book: run profiles and parameters, papermill execution, the generated pages, rendering,
and the ``Chapter`` record every notebook writes its numbers, figures and verdicts through.

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
