"""The raw patterns of a race, before any regression: binned scatters of recognition against
priority and congestion within a base.
"""

from __future__ import annotations

import pandas as pd

from ..errors import ParameterError


def binscatter(
    panel: pd.DataFrame, x: str, y: str, *, bins: int = 20, absorb: str | None = "base_id"
) -> pd.DataFrame:
    """Binned scatter of ``y`` against ``x`` within ``absorb`` groups (Stepner's binscatter).

    Both variables are demeaned within the group and the overall means added back, so the points
    show the within-base relation on the original scale; ``x`` is cut into ``bins`` quantile bins
    (at most one bin per observation).  Returns one row per bin: ``x``, ``y`` (means),
    ``n``.
    """
    for col in (x, y, absorb):
        if col is not None and col not in panel.columns:
            raise ParameterError(
                f"binscatter: no column {col!r} in the panel; expected one of "
                + ", ".join(panel.columns)
            )
    xv = panel[x].to_numpy(float)
    yv = panel[y].to_numpy(float)
    if absorb is not None:
        g = panel[absorb]
        xv = xv - panel[x].astype(float).groupby(g).transform("mean").to_numpy() + xv.mean()
        yv = yv - panel[y].astype(float).groupby(g).transform("mean").to_numpy() + yv.mean()
    bins = max(1, min(int(bins), len(xv)))
    codes = pd.qcut(pd.Series(xv).rank(method="first"), bins, labels=False)
    frame = pd.DataFrame({"bin": codes.to_numpy(), "x": xv, "y": yv})
    return (
        frame.groupby("bin")
        .agg(x=("x", "mean"), y=("y", "mean"), n=("y", "size"))
        .reset_index(drop=True)
    )
