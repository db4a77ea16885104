"""The race to release: Hill & Stein's framework on derivatives of the same base model.

:mod:`~hflineage.race.panel` builds the derivative-race panel (ranks, congestion, the three
clocks, controls); :mod:`~hflineage.race.specs` declares the specifications and the primary one;
:mod:`~hflineage.race.models` fits them; :mod:`~hflineage.race.simulate` tests them on the
panel's real timing; :mod:`~hflineage.race.placebo` is the timing-preserving placebo;
:mod:`~hflineage.race.speccurve` runs every reasonable specification; :mod:`~hflineage.race.plots`
draws the chapter figures.
"""

from .entry import base_entry, binscatter, entry_concentration
from .panel import MAPPING, PANEL_COLUMNS, build_panel, funnel_table, race_subset
from .samples import clock_correlations, llm_sample, older_than, with_base_weights, with_recognition

__all__ = [
    "MAPPING",
    "PANEL_COLUMNS",
    "base_entry",
    "binscatter",
    "build_panel",
    "clock_correlations",
    "entry_concentration",
    "funnel_table",
    "llm_sample",
    "older_than",
    "race_subset",
    "with_base_weights",
    "with_recognition",
]
