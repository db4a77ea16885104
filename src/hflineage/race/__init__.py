"""The race to release: Hill & Stein's framework on derivatives of the same base model.

:mod:`~hflineage.race.panel` builds the derivative-race panel (ranks, congestion, exposure,
controls); :mod:`~hflineage.race.models` holds the declared specifications and their fits;
:mod:`~hflineage.race.speccurve` runs every reasonable specification; :mod:`~hflineage.race.plots`
draws the chapter figures.
"""

from .panel import (
    MAPPING,
    PANEL_COLUMNS,
    base_entry,
    binscatter,
    build_panel,
    entry_concentration,
    fixed_horizon,
    funnel_table,
    permuted_ranks,
)

__all__ = [
    "MAPPING",
    "PANEL_COLUMNS",
    "base_entry",
    "binscatter",
    "build_panel",
    "entry_concentration",
    "fixed_horizon",
    "funnel_table",
    "permuted_ranks",
]
