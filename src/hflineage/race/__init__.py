"""The race to release: Hill & Stein's framework on derivatives of the same base model.

:mod:`~hflineage.race.constructs` maps Hill & Stein's constructs onto panel columns;
:mod:`~hflineage.race.timing` holds the clocks (lags, lag bins and spline, entry counts);
:mod:`~hflineage.race.sample` the sample funnel and the samples drawn from a panel;
:mod:`~hflineage.race.panel` builds the derivative-race panel; :mod:`~hflineage.race.entry`
measures entry into races; :mod:`~hflineage.race.patterns` the raw patterns (binned scatters);
:mod:`~hflineage.race.specs` declares the specifications and the primary one;
:mod:`~hflineage.race.regressions` fits them; :mod:`~hflineage.race.simulate` tests them on the
panel's real timing; :mod:`~hflineage.race.placebo` is the timing-preserving placebo;
:mod:`~hflineage.race.speccurve` runs every reasonable specification; :mod:`~hflineage.race.plots`
draws the chapter figures.
"""

from .constructs import MAPPING, mapping_table
from .entry import base_entry, entry_concentration, entry_numbers
from .panel import PANEL_COLUMNS, build_panel, race_subset
from .patterns import binscatter
from .sample import funnel_table, llm_sample, older_than, with_base_weights, with_recognition
from .timing import clock_correlations

__all__ = [
    "MAPPING",
    "PANEL_COLUMNS",
    "base_entry",
    "binscatter",
    "build_panel",
    "clock_correlations",
    "entry_concentration",
    "entry_numbers",
    "funnel_table",
    "llm_sample",
    "mapping_table",
    "older_than",
    "race_subset",
    "with_base_weights",
    "with_recognition",
]
