"""hflineage: a replication of two 2026 papers on the Hugging Face model ecosystem.

The sub-packages follow the data flow: :mod:`~hflineage.data` (snapshots -> models table) ->
:mod:`~hflineage.lineage` (edges, network, size) -> :mod:`~hflineage.mdi` and
:mod:`~hflineage.race` (the two papers) -> :mod:`~hflineage.chapter` (what a chapter records) -> :mod:`~hflineage.publish` (execution, pages, rendering).
"""

from importlib.metadata import version

__version__ = version("hflineage")
