"""``python -m hflineage``: the same command as ``hflineage`` (:func:`hflineage.cli.main`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
