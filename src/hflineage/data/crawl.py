"""Reading the JSONL chunks of an API crawl (``hflineage fetch --source api``) into the models
table, with the same extra fields as hub-stats where the crawl has them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from ..errors import SnapshotError
from .hub_stats import (
    BASE_MODELS_TYPE,
    as_utc,
    card_fields_from_values,
    extract_card_values,
    models_with_extras,
)
from .schema import (
    end_of_day,
)

#: Name of the crawler's progress file inside a crawl folder (see :func:`hflineage.data.fetch_api.crawl_api`).
CRAWL_STATE = "state.json"


#: Crawl chunk file names: ``chunk-00000.jsonl``, ``chunk-00001.jsonl``, ...
CHUNK_TEMPLATE = "chunk-{:05d}.jsonl"


CHUNK_GLOB = "chunk-*.jsonl*"


#: The fields of one ``/api/models`` record that the models table uses, with their JSON types.
#: Anything else in a record (``cardData`` included) is skipped by the typed reader; card fields
#: are taken from the raw line text instead, because ``base_model`` mixes strings and lists.
CRAWL_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("createdAt", pa.string()),
        ("likes", pa.int64()),
        ("downloads", pa.int64()),
        ("downloadsAllTime", pa.int64()),
        ("tags", pa.list_(pa.string())),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("baseModels", BASE_MODELS_TYPE),
        ("safetensors", pa.struct([("total", pa.int64())])),
    ]
)


#: Columns the crawl reader adds: the card's raw ``base_model`` JSON value and its relation.
_CARD_VALUE = "__card_base_model"


_CARD_RELATION = "__card_base_model_relation"


_CRAWL_TABLE_SCHEMA = CRAWL_SCHEMA.append(pa.field(_CARD_VALUE, pa.large_string())).append(
    pa.field(_CARD_RELATION, pa.large_string())
)


def models_from_crawl(path: str | Path) -> pd.DataFrame:
    """The models table from an ``/api/models`` crawl: a ``.jsonl`` file or a crawl folder.

    A crawl folder is what :func:`hflineage.data.fetch_api.crawl_api` writes: ``chunk-00000.jsonl``, ...
    and ``state.json``.  When ``state.json`` is present it is the commit log: exactly the chunks
    it lists are read and each must hold the number of rows it records (a chunk written after the
    last commit is ignored; the next ``crawl_api`` run rewrites it).  Without it every
    ``chunk-*.jsonl`` is read in name order.  Each line is one ``/api/models`` record; a model
    listed twice (the live listing can shift during a long crawl) keeps its last record, and the
    number dropped is in ``attrs['duplicates_dropped']``.  ``attrs['complete']`` says whether the
    crawl reached the end of the listing.
    """
    path = Path(path)
    files, state = _crawl_files(path)
    tables = [_read_jsonl(file, expected) for file, expected in files]
    table = pa.concat_tables(tables) if tables else _CRAWL_TABLE_SCHEMA.empty_table()
    ids = pd.Series(table["id"].to_numpy(zero_copy_only=False), dtype=object)
    dup = ids.duplicated(keep="last").to_numpy()
    if dup.any():
        table = table.filter(pa.array(~dup))
    card_parents, card_relation = card_fields_from_values(
        table[_CARD_VALUE].combine_chunks(), table[_CARD_RELATION].combine_chunks()
    )
    table = table.drop_columns([_CARD_VALUE, _CARD_RELATION])
    models = models_with_extras(table, path, card_parents, card_relation, shape="crawl")
    models.attrs["duplicates_dropped"] = int(dup.sum())
    if state is not None:
        models.attrs["complete"] = bool(state.get("complete"))
        taken = state.get("finished_at") or state.get("updated_at")
        if taken:
            models.attrs["snapshot_date"] = as_utc(taken)
    elif len(models):
        models.attrs["snapshot_date"] = end_of_day(models["created_at"].max())
    return models


def read_crawl_state(folder: Path) -> dict | None:
    """The crawl folder's ``state.json`` as a dict, or None if there is none."""
    state_path = Path(folder) / CRAWL_STATE
    if not state_path.exists():
        return None
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(
            f"{state_path}: unreadable crawl state ({str(exc).splitlines()[0]}); expected the "
            "JSON written by `hflineage fetch --source api`"
        ) from None
    if not isinstance(state, dict) or not isinstance(state.get("chunks", []), list):
        raise SnapshotError(f"{state_path}: expected a JSON object with a 'chunks' list")
    return state


def _crawl_files(path: Path) -> tuple[list[tuple[Path, int | None]], dict | None]:
    if not path.is_dir():
        return [(path, None)], None
    state = read_crawl_state(path)
    if state is not None:
        files = []
        for entry in state.get("chunks", []):
            file = path / entry["file"]
            if not file.exists():
                raise SnapshotError(
                    f"{file}: chunk listed in {CRAWL_STATE} is missing; re-fetch the crawl "
                    "(delete the folder and run `hflineage fetch --source api` again)"
                )
            files.append((file, int(entry["rows"])))
        return files, state
    files = sorted(path.glob(CHUNK_GLOB))
    if not files:
        raise SnapshotError(
            f"{path}: no {CHUNK_GLOB} files in this folder (expected a crawl written by "
            "`hflineage fetch --source api`)"
        )
    return [(f, None) for f in files], None


def _read_bytes(file: Path) -> bytes:
    data = file.read_bytes()
    if file.suffix == ".gz":
        import gzip

        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise SnapshotError(f"{file}: not a readable gzip file ({exc})") from None
    return data


def _read_jsonl(file: Path, expected_rows: int | None) -> pa.Table:
    """The typed fields (``CRAWL_SCHEMA``) of every non-blank line of a JSONL file, plus the
    card's raw ``base_model`` value and relation taken from the line text (see module doc).
    """
    data = _read_bytes(file)
    buf = np.frombuffer(data, dtype=np.uint8)
    starts = np.concatenate([[0], np.flatnonzero(buf == ord("\n")) + 1]).astype(np.int64)
    if starts[-1] == len(data):  # a final newline does not start another line
        starts = starts[:-1]
    offsets = np.concatenate([starts, [len(data)]]).astype(np.int64)
    # One string per physical line, zero copy (each keeps its newline).
    lines = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        raise SnapshotError(f"{file}: not UTF-8 text (expected JSON lines)") from None
    # Blank lines (skipped by the JSON reader) can only be short ones: check just those.
    lengths = np.diff(offsets)
    nonblank = np.ones(len(starts), dtype=bool)
    short = np.flatnonzero(lengths <= 64)
    if short.size:
        trimmed = pc.utf8_trim_whitespace(lines.take(pa.array(short)))
        nonblank[short] = pc.utf8_length(trimmed).to_numpy(zero_copy_only=False) > 0
    line_numbers = np.flatnonzero(nonblank) + 1
    if line_numbers.size == 0:
        return _CRAWL_TABLE_SCHEMA.empty_table()
    keep = pa.array(nonblank)
    try:
        table = pj.read_json(
            pa.BufferReader(data),
            read_options=pj.ReadOptions(block_size=max(1 << 22, int(lengths.max()) + 1024)),
            parse_options=pj.ParseOptions(
                explicit_schema=CRAWL_SCHEMA, unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _locate_bad_line(file, lines.filter(keep), line_numbers, exc) from None
    if table.num_rows != line_numbers.size:
        raise SnapshotError(
            f"{file}: {table.num_rows} records parsed from {line_numbers.size} non-blank lines; "
            "expected one JSON object per line"
        )
    missing = pc.is_null(table["id"]).to_numpy(zero_copy_only=False)
    if missing.any():
        first = int(line_numbers[np.flatnonzero(missing)[0]])
        raise SnapshotError(
            f"{file}:{first}: record has no 'id' ({int(missing.sum())} such lines); expected "
            "/api/models records"
        )
    if expected_rows is not None and table.num_rows != expected_rows:
        raise SnapshotError(
            f"{file}: {table.num_rows} records, but {CRAWL_STATE} recorded {expected_rows}; the "
            "chunk was modified or truncated: re-fetch the crawl"
        )
    value, relation = extract_card_values(lines)
    table = table.append_column(_CARD_VALUE, value.filter(keep).cast(pa.large_string()))
    return table.append_column(_CARD_RELATION, relation.filter(keep).cast(pa.large_string()))


def _locate_bad_line(
    file: Path, text: pa.Array, line_numbers: np.ndarray, exc: Exception
) -> SnapshotError:
    """Find the first line that is not a JSON object (error path only: a Python scan is fine)."""
    for number, line in zip(line_numbers, text.to_pylist(), strict=True):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            return SnapshotError(
                f"{file}:{number}: malformed JSON ({err.msg} at column {err.colno}); expected one "
                "/api/models record per line"
            )
        if not isinstance(record, dict):
            return SnapshotError(
                f"{file}:{number}: a JSON {type(record).__name__}, expected one /api/models "
                "record (an object) per line"
            )
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return SnapshotError(f"{file}: records do not have the /api/models field types ({first})")
