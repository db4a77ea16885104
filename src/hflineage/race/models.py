"""Former name of :mod:`hflineage.race.regressions`, kept only until the modules outside this
room that still import it (``race/simulate.py``, ``tests/race/test_simulate.py``,
``benchmarks/``) move to the new name; new code imports :mod:`hflineage.race.regressions`.
"""

from .regressions import *  # noqa: F403
from .regressions import __all__  # noqa: F401
