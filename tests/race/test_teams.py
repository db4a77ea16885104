"""Rivals as teams, and the congestion windows' edges, worked out by hand on small races."""

from __future__ import annotations

import numpy as np
import pytest

from hflineage.config import DAY_MS
from hflineage.errors import ParameterError
from hflineage.race.timing import entry_counts, team_counts

H = DAY_MS // 2  # half a day, in ms


def _race():
    """One base; account A uploads on days 0, 2 and 40 (three uploads), B on day 1, C on day 20,
    D on day 60; and a second base where E and F enter at the same instant."""
    base = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1])
    team = np.array([0, 0, 0, 1, 2, 3, 4, 5, 4])
    days = np.array([0, 2, 40, 1, 20, 60, 5, 5, 9])
    return base, team, days * DAY_MS


def test_an_account_with_three_uploads_is_one_team():
    base, team, t = _race()
    out = team_counts(base, team, t, 30)
    # base 0: teams enter A(0) B(1) C(20) D(60): A's three uploads share rank 1
    assert out["team_rank"].tolist() == [1, 1, 1, 2, 3, 4, 1, 1, 1]
    assert out["n_teams"].tolist() == [4, 4, 4, 4, 4, 4, 2, 2, 2]
    assert out["team_upload"].tolist() == [1, 2, 3, 1, 1, 1, 1, 1, 2]
    # the release ranks count A's own uploads as rivals: A@40 is 5th of 6 uploads
    rel = entry_counts(base, t, 30)
    assert rel["rank"].tolist() == [1, 3, 5, 2, 4, 6, 1, 1, 3]


def test_team_congestion_counts_other_accounts_first_entries():
    base, team, t = _race()
    out = team_counts(base, team, t, 30)  # +-15 days around each upload
    # A@0: B's entry (day 1); A@2: B; A@40: none (C entered day 20, D day 60); B@1: A;
    # C@20: none; D@60: none; E@5 and F@5 enter together (each other's rival); E@9: F (day 5)
    assert out["team_congestion"].tolist() == [1, 1, 0, 1, 0, 0, 1, 1, 1]
    # the release count: A@2 sees A@0 and B@1 as rivals
    assert entry_counts(base, t, 30)["congestion"].tolist() == [2, 2, 0, 2, 0, 0, 2, 2, 2]
    before = team_counts(base, team, t, 30, "before")  # strictly before, in the last 30 days
    # A@40 sees C (day 20); C@20 sees A and B; E@9 sees F (day 5), not its own first upload
    assert before["team_congestion"].tolist() == [0, 1, 1, 1, 2, 0, 0, 0, 1]


@pytest.mark.parametrize("counter", ["release", "team"])
def test_around_window_edges_are_inclusive_and_exact(counter):
    """Rivals exactly 15 days before and after count; 1 ms further, or a day further, do not
    (widening either edge of the window fails this test)."""
    day15 = 15 * DAY_MS
    offsets = np.array([0, -day15, day15, -day15 - 1, day15 + 1, -day15 - DAY_MS, day15 + DAY_MS])
    # entrant 0 at t = 100 days, its rivals at the offsets; all distinct accounts
    t = 100 * DAY_MS + offsets
    base = np.zeros(len(t), int)
    if counter == "release":
        cong = entry_counts(base, t, 30)["congestion"]
    else:
        cong = team_counts(base, np.arange(len(t)), t, 30)["team_congestion"]
    assert cong[0] == 2  # the two rivals on the edges, nothing beyond


@pytest.mark.parametrize("counter", ["release", "team"])
def test_before_window_edges(counter):
    """The trailing window is [t - 30 days, t): a rival exactly 30 days earlier counts, one at
    the same instant or 1 ms outside does not."""
    w = 30 * DAY_MS
    t = 100 * DAY_MS + np.array([0, -w, -w - 1, 0, -1])
    base = np.zeros(len(t), int)
    if counter == "release":
        cong = entry_counts(base, t, 30, "before")["congestion"]
    else:
        cong = team_counts(base, np.arange(len(t)), t, 30, "before")["team_congestion"]
    assert cong[0] == 2  # -30 days exactly and -1 ms


def test_bad_window_is_named():
    base, team, t = _race()
    with pytest.raises(ParameterError, match="congestion_window"):
        team_counts(base, team, t, 30, "after")
