"""The resumable ``/api/models`` crawl: page by page along the ``Link: rel="next"`` cursor, JSONL
chunks and ``state.json`` committed after each page, 429/5xx back-off honouring Retry-After.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import requests
from requests.utils import parse_header_links

from ..errors import HflineageError, NetworkError
from ..files import atomic_open, utc_now, write_json
from .crawl import CHUNK_TEMPLATE, CRAWL_STATE, read_crawl_state
from .fetch import DEFAULT_OUT, HUB, fetch_lock, offline_env_variable, offline_error, one_line
from .schema import HUB_FIELDS

#: Sub-folder of ``out_dir`` that holds an API crawl (chunks + ``state.json``).
CRAWL_DIRNAME = "hub-api-crawl"


#: ``/api/models`` properties the models table needs (``expand`` returns only these, plus ``id``).
EXPAND = HUB_FIELDS


#: The Hub serves at most 1,000 models per page.
MAX_PAGE_SIZE = 1000


RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def start_url(page_size: int = MAX_PAGE_SIZE, *, endpoint: str = HUB) -> str:
    """First page of the crawl: ``/api/models?limit=<page>&expand=...`` (one ``expand`` per field,
    as ``huggingface_hub.HfApi.list_models(expand=[...])`` sends them).
    """
    query = [("limit", str(page_size))] + [("expand", field) for field in EXPAND]
    return f"{endpoint}/api/models?{urlencode(query)}"


def _next_link(headers: Any) -> str | None:
    link = headers.get("Link") or headers.get("link")
    if not link:
        return None
    for entry in parse_header_links(link):
        if entry.get("rel") == "next" and entry.get("url"):
            return entry["url"]
    return None


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``RateLimit: ...;t=N``."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value:
        value = str(value).strip()
        if re.fullmatch(r"\d+(\.\d+)?", value):
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    limit = headers.get("RateLimit") or headers.get("ratelimit")
    if limit:
        match = re.search(r"r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)", str(limit))
        if match and int(match.group(1)) == 0:
            return float(match.group(2))
    return None


class _Crawler:
    """One crawl run: fetch pages, buffer whole pages, commit chunks + state atomically."""

    def __init__(
        self,
        folder: Path,
        *,
        chunk_size: int,
        limit: int | None,
        max_retries: int,
        backoff: float,
        max_backoff: float,
        session: Any,
        sleep: Callable[[float], None],
        timeout: float,
        token: str | None,
        page_size: int,
        endpoint: str,
    ) -> None:
        self.folder = folder
        self.chunk_size = chunk_size
        self.limit = limit
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.session = session
        self.sleep = sleep
        self.timeout = timeout
        self.headers = {"Accept": "application/json", "User-Agent": _user_agent()}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.pages_this_run = 0
        self.notify: Callable[[str], None] = lambda message: None
        self.buffer: list[dict] = []
        self.buffer_pages = 0
        state = read_crawl_state(folder)
        if state is None:
            state = {
                "version": 1,
                "endpoint": endpoint,
                "start_url": start_url(page_size, endpoint=endpoint),
                "expand": list(EXPAND),
                "next_url": None,
                "skip": 0,
                "rows": 0,
                "pages": 0,
                "chunks": [],
                "complete": False,
                "started_at": utc_now(),
                "updated_at": None,
                "finished_at": None,
            }
            state["next_url"] = state["start_url"]
        self.state = state
        # Where the buffered pages end: committed together with the next chunk.
        self.pending_next: str | None = state["next_url"]
        self.pending_skip = int(state.get("skip", 0))
        self.pending_done = bool(state.get("complete"))

    # -- HTTP -------------------------------------------------------------------------------

    def get_page(self, url: str) -> tuple[list[dict], str | None]:
        """GET one page with back-off on 429/5xx; return (records, next URL)."""
        delay = self.backoff
        for attempt in range(self.max_retries + 1):
            try:
                response = self.session.get(url, headers=self.headers, timeout=self.timeout)
            except requests.exceptions.RequestException as exc:
                # No (complete) answer.  A connection failure on the first request means
                # 'offline': fail at once.  Mid-crawl it is usually a dropped connection or a
                # truncated body, worth the usual retries.
                first = self.pages_this_run == 0
                if (first and isinstance(exc, requests.exceptions.ConnectionError)) or (
                    attempt == self.max_retries
                ):
                    raise offline_error(f"{type(exc).__name__}: {_reason(exc)}") from None
                self.sleep(delay)
                delay = min(self.max_backoff, delay * 2)
                continue
            status = int(response.status_code)
            if status == 200:
                try:
                    records = response.json()
                except ValueError:
                    raise NetworkError(
                        f"{url}: the Hub answered HTTP 200 with a body that is not JSON"
                    ) from None
                if not isinstance(records, list) or not all(
                    isinstance(r, dict) and "id" in r for r in records
                ):
                    raise NetworkError(
                        f"{url}: expected a JSON list of model records, got "
                        f"{type(records).__name__}"
                    )
                self.pages_this_run += 1
                following = _next_link(response.headers)
                return records, urljoin(url, following) if following else None
            if status in RETRY_STATUS or status >= 500:
                if attempt == self.max_retries:
                    break
                wait = _retry_after(response.headers)
                wait = wait if wait is not None else delay
                if wait >= 10:
                    self.notify(f"HTTP {status} from the Hub: waiting {wait:.0f} s before retrying")
                self.sleep(wait)
                delay = min(self.max_backoff, delay * 2)
                continue
            raise NetworkError(f"HTTP {status} from {url} ({one_line(_body(response), 120)})")
        raise NetworkError(
            f"HTTP {status} from {url} after {self.max_retries} retries; the Hub is rate-limiting "
            "or failing: wait a while and re-run (the crawl resumes where it stopped)"
        )

    # -- chunks and state -------------------------------------------------------------------

    def flush(self) -> None:
        """Write the buffered pages as the next chunk, then commit the state that points past
        them.  A crash between the two leaves a chunk the state does not list: it is ignored by
        the reader and rewritten by the next run, so no row is ever counted twice.
        """
        pointer = (self.pending_next, self.pending_skip, self.pending_done)
        committed = (self.state["next_url"], self.state["skip"], self.state["complete"])
        if not self.buffer and pointer == committed:
            return
        entries = self.state["chunks"]
        if self.buffer:
            name = CHUNK_TEMPLATE.format(len(entries))
            digest = hashlib.sha256()
            with atomic_open(self.folder / name, "w", encoding="utf-8", newline="\n") as handle:
                for record in self.buffer:
                    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
                    digest.update(line.encode("utf-8"))
                    handle.write(line)
            entries.append(
                {
                    "file": name,
                    "rows": len(self.buffer),
                    "pages": self.buffer_pages,
                    "first_id": self.buffer[0]["id"],
                    "last_id": self.buffer[-1]["id"],
                    "sha256": digest.hexdigest(),
                }
            )
        self.state.update(
            rows=self.state["rows"] + len(self.buffer),
            pages=self.state["pages"] + self.buffer_pages,
            next_url=self.pending_next,
            skip=self.pending_skip,
            complete=self.pending_done,
            updated_at=utc_now(),
        )
        if self.pending_done:
            self.state["finished_at"] = self.state["updated_at"]
        _commit_state(self.folder, self.state)
        self.buffer = []
        self.buffer_pages = 0

    # -- main loop --------------------------------------------------------------------------

    def run(self, progress: bool) -> None:
        from tqdm.auto import tqdm

        if self.pending_done or (self.limit is not None and self.state["rows"] >= self.limit):
            return
        bar = None
        if progress:
            self.notify = tqdm.write
        try:
            while self.pending_next is not None:
                url, skip = self.pending_next, self.pending_skip
                try:
                    records, next_url = self.get_page(url)
                except BaseException:
                    self.flush()  # the pages already buffered are complete: keep them
                    raise
                if bar is None:  # only once the Hub has answered
                    bar = tqdm(
                        total=self.limit,
                        initial=int(self.state["rows"]),
                        unit="models",
                        desc="crawl /api/models",
                        disable=not progress,
                    )
                records = records[skip:]
                have = self.state["rows"] + len(self.buffer)
                if self.limit is not None and have + len(records) >= self.limit:
                    take = self.limit - have
                    if take < len(records):
                        # Stop inside this page: a later, larger crawl re-reads it and skips.
                        self.pending_next, self.pending_skip = url, skip + take
                    else:
                        self.pending_next, self.pending_skip = next_url, 0
                    self.pending_done = self.pending_next is None
                    self._add(records[:take], bar)
                    break
                self.pending_next, self.pending_skip = next_url, 0
                self.pending_done = next_url is None
                self._add(records, bar)
                if len(self.buffer) >= self.chunk_size:
                    self.flush()
            self.flush()
        finally:
            if bar is not None:
                bar.close()

    def _add(self, records: list[dict], bar: Any) -> None:
        self.buffer.extend(records)
        self.buffer_pages += 1
        bar.update(len(records))


def _reason(exc: BaseException) -> str:
    """The innermost useful message of a requests/urllib3 error (e.g. the DNS failure)."""
    text = str(exc)
    match = re.search(r"Failed to resolve '([^']+)'", text)
    if match:
        return f"DNS lookup of {match.group(1)} failed"
    for known in ("Name or service not known", "Connection refused", "Network is unreachable"):
        if known in text:
            return known
    return text


def _body(response: Any) -> str:
    try:
        return str(response.text)
    except Exception:
        return ""


def _user_agent() -> str:
    try:
        from importlib.metadata import version

        return f"hflineage/{version('hflineage')}"
    except Exception:
        return "hflineage"


def _commit_state(folder: Path, state: dict) -> None:
    """Atomically replace ``state.json`` (the crawl's commit point)."""
    write_json(folder / CRAWL_STATE, state)


def crawl_api(
    out_dir: str | Path = DEFAULT_OUT,
    *,
    chunk_size: int = 10_000,
    limit: int | None = None,
    max_retries: int = 6,
    backoff: float = 1.0,
    max_backoff: float = 120.0,
    session: Any = None,
    progress: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 60.0,
    token: str | None = None,
    page_size: int = MAX_PAGE_SIZE,
    endpoint: str = HUB,
    restart: bool = False,
) -> Path:
    """Crawl ``/api/models`` into ``out_dir/hub-api-crawl/``; return that folder.

    The folder is a snapshot that :func:`hflineage.data.load.load_snapshot` reads: JSONL chunks
    ``chunk-00000.jsonl``, ... (one raw ``/api/models`` record per line, with the ``EXPAND``
    fields the lineage needs) and ``state.json`` (the next page's URL, rows and pages so far, and
    each chunk's row count and sha256).  A chunk holds whole pages, at least ``chunk_size``
    models (the last one fewer).  Each chunk is written atomically and only then recorded in
    ``state.json``, so an interrupted crawl (Ctrl-C, network loss, a crash) resumes from the
    first page not yet committed when run again, with no model lost or duplicated; pages
    buffered when a fetch fails are committed before the error is raised.

    ``limit`` stops after that many models (a later run with a larger or no limit continues).
    A completed crawl is returned as is; ``restart=True`` deletes it and starts over.  The crawl
    holds ``out_dir/.fetch.lock``, so a second fetch into the same folder waits for it.
    HTTP 429 and 5xx are retried up to ``max_retries`` times, waiting ``Retry-After`` when the
    Hub sends it and otherwise ``backoff``, doubling up to ``max_backoff`` seconds.  ``session``
    (anything with ``get(url, headers=, timeout=)`` like :class:`requests.Session`) and ``sleep``
    are injectable for tests.
    """
    if chunk_size < 1:
        raise HflineageError(f"chunk_size must be at least 1, got {chunk_size}")
    if limit is not None and limit < 1:
        raise HflineageError(f"limit must be at least 1 (or None for everything), got {limit}")
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    with fetch_lock(out_dir):  # two fetches into one folder never interleave
        return _crawl(
            Path(out_dir) / CRAWL_DIRNAME,
            restart=restart,
            progress=progress,
            chunk_size=chunk_size,
            limit=limit,
            max_retries=max_retries,
            backoff=backoff,
            max_backoff=max_backoff,
            session=session,
            sleep=sleep,
            timeout=timeout,
            token=token,
            page_size=page_size,
            endpoint=endpoint,
        )


def _crawl(
    folder: Path, *, restart: bool, progress: bool, limit: int | None, **options: Any
) -> Path:
    if restart and folder.exists():
        shutil.rmtree(folder)
    crawler = _Crawler(folder, limit=limit, **options)
    done = crawler.pending_done or (limit is not None and crawler.state["rows"] >= limit)
    if not done:
        env = offline_env_variable()
        if env:
            raise offline_error(f"{env} is set")
        if crawler.session is None:
            crawler.session = requests.Session()
    crawler.run(progress)
    return folder
