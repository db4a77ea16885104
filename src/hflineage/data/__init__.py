"""Snapshots in, one validated models table out.

``load_snapshot`` reads the embedded listing, a hub-stats ``models.parquet`` or an API crawl and
returns the same table (:mod:`hflineage.data.schema` documents its columns); ``fetch`` brings
today's Hub; ``describe`` holds the descriptive helpers the data chapter uses.
"""

from .crawl import models_from_crawl
from .hub_stats import models_from_hub_stats
from .listing import normalise_listing
from .load import load_snapshot, read_parquet, resolve_snapshot, verify_checksum
from .schema import (
    BACKFILL_END,
    BACKFILL_START,
    LISTING_REQUIRED,
    RELATIONS,
    SCHEMA_COLUMNS,
    end_of_day,
    explode_lists,
    snapshot_date,
)
from .slice import write_listing_slice

__all__ = [
    "BACKFILL_END",
    "BACKFILL_START",
    "LISTING_REQUIRED",
    "RELATIONS",
    "SCHEMA_COLUMNS",
    "end_of_day",
    "explode_lists",
    "load_snapshot",
    "models_from_crawl",
    "models_from_hub_stats",
    "normalise_listing",
    "read_parquet",
    "resolve_snapshot",
    "snapshot_date",
    "verify_checksum",
    "write_listing_slice",
]
