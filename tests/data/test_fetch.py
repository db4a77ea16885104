"""The fetcher, without network: a fake session serves /api/models pages, fakes stand in for
``huggingface_hub``; every expected value below was worked out from the fixtures by hand."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from test_sources import hub_stats_table, lists, values

from hflineage.data import fetch, fetch_api, load_snapshot
from hflineage.errors import HflineageError, NetworkError, SnapshotError
from hflineage.files import sha256_file

PAGES = Path(__file__).parents[1] / "fixtures" / "api_pages"
START = fetch_api.start_url(3)
PAGE_URLS = [START, START + "&cursor=cDI", START + "&cursor=cDM"]
ALL_IDS = [
    "meta-llama/Llama-2-7b-hf",
    "alice/llama2-chat-ft",
    "bob/llama2-lora",
    "carol/merged-7b",
    "dave/llama2-chat-ft-GGUF",
    "erin/bert-sentiment",
    "frank/card-only",
]


class FakeResponse:
    def __init__(self, status: int = 200, body: object = None, headers: dict | None = None):
        self.status_code = status
        self._body = body
        self.headers = requests.structures.CaseInsensitiveDict(headers or {})

    def json(self) -> object:
        return copy.deepcopy(self._body)

    @property
    def text(self) -> str:
        return json.dumps(self._body)


class FakeSession:
    """Serves queued responses (or raises queued exceptions) per URL; records every GET."""

    def __init__(self, routes: dict[str, list]):
        self.routes = {url: list(queue) for url, queue in routes.items()}
        self.calls: list[str] = []

    def get(self, url: str, headers: dict | None = None, timeout: float | None = None):
        self.calls.append(url)
        queue = self.routes[url]
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, BaseException):
            raise item
        return item


def page(i: int) -> FakeResponse:
    """Page ``i`` (0-based) with a Link header to the next one, as the Hub sends it."""
    body = json.loads((PAGES / f"page-{i + 1}.json").read_text(encoding="utf-8"))
    headers = {"Link": f'<{PAGE_URLS[i + 1]}>; rel="next"'} if i + 1 < len(PAGE_URLS) else {}
    return FakeResponse(200, body, headers)


def hub_routes() -> dict[str, list]:
    return {url: [page(i)] for i, url in enumerate(PAGE_URLS)}


def crawled_ids(folder: Path) -> list[str]:
    ids = []
    for chunk in sorted(folder.glob("chunk-*.jsonl")):
        ids += [json.loads(line)["id"] for line in chunk.read_text().splitlines()]
    return ids


def crawl(tmp_path: Path, session: FakeSession, **kwargs) -> Path:
    sleeps = kwargs.pop("sleeps", [])
    return fetch_api.crawl_api(
        tmp_path,
        session=session,
        sleep=sleeps.append,
        progress=False,
        page_size=3,
        **kwargs,
    )


@pytest.fixture(autouse=True)
def _online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)


# ---------------------------------------------------------------------------------- crawl


def test_start_url_asks_for_the_lineage_fields() -> None:
    assert START.startswith("https://huggingface.co/api/models?limit=3&expand=createdAt")
    for field in ("baseModels", "cardData", "safetensors", "downloadsAllTime", "tags"):
        assert f"expand={field}" in START


def test_pagination_three_pages_every_row_once(tmp_path: Path) -> None:
    session = FakeSession(hub_routes())
    folder = crawl(tmp_path, session, chunk_size=2)
    assert folder == tmp_path / fetch_api.CRAWL_DIRNAME
    assert session.calls == PAGE_URLS  # followed the Link headers, each page once
    assert crawled_ids(folder) == ALL_IDS
    state = json.loads((folder / "state.json").read_text())
    assert state["complete"] is True and state["next_url"] is None
    assert state["rows"] == 7 and state["pages"] == 3
    # chunk_size=2 with 3-model pages: each chunk is one whole page.
    assert [c["rows"] for c in state["chunks"]] == [3, 3, 1]
    for entry in state["chunks"]:
        assert sha256_file(folder / entry["file"]) == entry["sha256"]

    # A finished crawl is returned as is: no request at all.
    again = FakeSession({})
    assert crawl(tmp_path, again, chunk_size=2) == folder
    assert again.calls == []


def test_crawl_loads_as_models_table(tmp_path: Path) -> None:
    folder = crawl(tmp_path, FakeSession(hub_routes()), chunk_size=5)
    models = load_snapshot(folder)
    assert models.attrs["shape"] == "crawl" and models.attrs["complete"] is True
    assert list(models["model_id"]) == ALL_IDS
    llama = "meta-llama/Llama-2-7b-hf"
    ft = "alice/llama2-chat-ft"
    assert lists(models["hub_parents"]) == [[], [llama], [llama], [ft, llama], [ft], [], []]
    assert values(models["hub_relation"]) == [
        None,
        "finetune",
        "adapter",
        "merge",
        "quantized",
        None,
        None,
    ]
    # dave's card mentions "base_model" inside a widget string: not a parent.
    assert lists(models["card_parents"]) == [[], [llama], [llama], [ft, llama], [ft], [], [llama]]
    assert values(models["card_relation"]) == [None, None, "adapter", None, None, None, "finetune"]
    assert lists(models["declared_parents"]) == [
        [],
        [llama],
        [llama],
        [ft, llama],
        [ft],
        [],
        [llama],
    ]
    assert values(models["declared_relation"]) == [
        None,
        "finetune",
        "adapter",
        "merge",
        "quantized",
        None,
        "finetune",
    ]
    assert values(models["params"]) == [6738415616.0] * 2 + [None, 6738415616.0] + [None] * 3
    assert values(models["downloads_all_time"]) == [25000000, 5000, 31, 800, 9000, 12000, 3]
    assert list(models["created_at_reliable"]) == [True] * 5 + [False, True]
    assert values(models["library_name"])[2] == "peft"


def test_429_waits_retry_after_then_succeeds(tmp_path: Path) -> None:
    routes = hub_routes()
    routes[PAGE_URLS[1]] = [
        FakeResponse(429, {"error": "slow down"}, {"Retry-After": "7"}),
        page(1),
    ]
    sleeps: list[float] = []
    folder = crawl(tmp_path, FakeSession(routes), chunk_size=100, sleeps=sleeps)
    assert sleeps == [7.0]
    assert crawled_ids(folder) == ALL_IDS


def test_ratelimit_header_and_exponential_backoff(tmp_path: Path) -> None:
    routes = hub_routes()
    routes[PAGE_URLS[0]] = [
        FakeResponse(503, {}),
        FakeResponse(502, {}),
        FakeResponse(429, {}, {"RateLimit": '"api";r=0;t=55'}),
        page(0),
    ]
    sleeps: list[float] = []
    crawl(tmp_path, FakeSession(routes), chunk_size=100, sleeps=sleeps, backoff=2.0)
    assert sleeps == [2.0, 4.0, 55.0]


def test_5xx_beyond_max_retries_is_a_network_error(tmp_path: Path) -> None:
    routes = hub_routes()
    routes[PAGE_URLS[1]] = [FakeResponse(503, {"error": "unavailable"})]
    sleeps: list[float] = []
    with pytest.raises(NetworkError) as err:
        crawl(tmp_path, FakeSession(routes), chunk_size=100, sleeps=sleeps, max_retries=3)
    message = str(err.value)
    assert "HTTP 503" in message and PAGE_URLS[1] in message and "3 retries" in message
    assert "\n" not in message
    assert sleeps == [1.0, 2.0, 4.0]
    # Page 1 was buffered when page 2 failed: it was committed, and the state points at page 2.
    folder = tmp_path / fetch_api.CRAWL_DIRNAME
    state = json.loads((folder / "state.json").read_text())
    assert state["next_url"] == PAGE_URLS[1] and state["rows"] == 3
    assert crawled_ids(folder) == ALL_IDS[:3]


def test_other_http_error_is_one_line(tmp_path: Path) -> None:
    routes = {START: [FakeResponse(400, {"error": "Invalid expand"})]}
    with pytest.raises(NetworkError, match=r"^HTTP 400 from https://huggingface.co/api/models"):
        crawl(tmp_path, FakeSession(routes))


def test_connection_error_is_one_line_and_not_retried(tmp_path: Path) -> None:
    dns = requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded with url: "
        '/api/models (Caused by NameResolutionError("<urllib3.connection.HTTPSConnection object>:'
        " Failed to resolve 'huggingface.co' ([Errno -3] Temporary failure in name resolution)\"))"
    )
    sleeps: list[float] = []
    with pytest.raises(NetworkError) as err:
        crawl(tmp_path, FakeSession({START: [dns]}), sleeps=sleeps)
    assert str(err.value) == (
        "cannot reach huggingface.co (ConnectionError: DNS lookup of huggingface.co failed); "
        "the embedded 2024-07-11 snapshot works offline: run without --snapshot"
    )
    assert sleeps == []


def test_dropped_connection_mid_crawl_is_retried(tmp_path: Path) -> None:
    routes = hub_routes()
    routes[PAGE_URLS[2]] = [requests.exceptions.ReadTimeout("read timed out"), page(2)]
    sleeps: list[float] = []
    folder = crawl(tmp_path, FakeSession(routes), sleeps=sleeps)
    assert sleeps == [1.0] and crawled_ids(folder) == ALL_IDS


def test_hf_hub_offline_fails_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    session = FakeSession({})
    with pytest.raises(NetworkError, match=r"^cannot reach huggingface.co \(HF_HUB_OFFLINE"):
        crawl(tmp_path, session)
    assert session.calls == []


def test_interrupted_crawl_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    routes = hub_routes()
    routes[PAGE_URLS[2]] = [KeyboardInterrupt()]  # the user presses Ctrl-C during page 3
    with pytest.raises(KeyboardInterrupt):
        crawl(tmp_path, FakeSession(routes), chunk_size=100)
    folder = tmp_path / fetch_api.CRAWL_DIRNAME
    state = json.loads((folder / "state.json").read_text())
    assert state["complete"] is False and state["next_url"] == PAGE_URLS[2]
    assert crawled_ids(folder) == ALL_IDS[:6]
    first_chunk = (folder / "chunk-00000.jsonl").read_bytes()
    partial = load_snapshot(folder)
    assert len(partial) == 6 and partial.attrs["complete"] is False

    session = FakeSession(hub_routes())
    crawl(tmp_path, session, chunk_size=100)
    assert session.calls == [PAGE_URLS[2]]  # resumed at the page that failed
    assert crawled_ids(folder) == ALL_IDS
    assert (folder / "chunk-00000.jsonl").read_bytes() == first_chunk
    assert list(load_snapshot(folder)["model_id"]) == ALL_IDS


def test_crash_between_chunk_and_state_never_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hard stop after a chunk is written but before state.json records it."""
    real_commit = fetch_api._commit_state
    commits = []

    def dies_on_second_commit(folder: Path, state: dict) -> None:
        commits.append(state["rows"])
        if len(commits) == 2:
            raise SystemExit("power cut")
        real_commit(folder, state)

    monkeypatch.setattr(fetch_api, "_commit_state", dies_on_second_commit)
    with pytest.raises(SystemExit):
        crawl(tmp_path, FakeSession(hub_routes()), chunk_size=3)
    folder = tmp_path / fetch_api.CRAWL_DIRNAME
    assert sorted(p.name for p in folder.glob("chunk-*")) == [
        "chunk-00000.jsonl",
        "chunk-00001.jsonl",  # written, but not committed
    ]
    assert list(load_snapshot(folder)["model_id"]) == ALL_IDS[:3]  # the orphan is not read

    monkeypatch.setattr(fetch_api, "_commit_state", real_commit)
    session = FakeSession(hub_routes())
    crawl(tmp_path, session, chunk_size=3)
    assert session.calls == PAGE_URLS[1:]
    assert crawled_ids(folder) == ALL_IDS
    models = load_snapshot(folder)
    assert list(models["model_id"]) == ALL_IDS and models.attrs["duplicates_dropped"] == 0


def test_limit_stops_inside_a_page_and_a_later_run_continues(tmp_path: Path) -> None:
    folder = crawl(tmp_path, FakeSession(hub_routes()), chunk_size=100, limit=4)
    assert crawled_ids(folder) == ALL_IDS[:4]
    state = json.loads((folder / "state.json").read_text())
    assert state["next_url"] == PAGE_URLS[1] and state["skip"] == 1
    assert state["complete"] is False

    same = FakeSession({})
    crawl(tmp_path, same, chunk_size=100, limit=4)  # limit already met: nothing to do
    assert same.calls == []

    session = FakeSession(hub_routes())
    crawl(tmp_path, session, chunk_size=100)
    assert session.calls == PAGE_URLS[1:]
    assert crawled_ids(folder) == ALL_IDS


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(HflineageError, match="chunk_size"):
        crawl(tmp_path, FakeSession({}), chunk_size=0)
    with pytest.raises(HflineageError, match="limit"):
        crawl(tmp_path, FakeSession({}), limit=0)


# ---------------------------------------------------------------------------------- hub-stats

SHA = "9f2c1e0d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"
REVISION_DATE = dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def fake_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """``HfApi().dataset_info`` and ``hf_hub_download`` serving a tiny hub-stats parquet."""
    cache = tmp_path / "hf-cache" / "models.parquet"
    cache.parent.mkdir()
    pq.write_table(hub_stats_table(), cache)
    hub = SimpleNamespace(cache=cache, info_calls=[], download_calls=[], info_error=None)

    class FakeApi:
        def dataset_info(self, repo_id: str, revision: str | None = None):
            hub.info_calls.append((repo_id, revision))
            if hub.info_error is not None:
                raise hub.info_error
            return SimpleNamespace(id=repo_id, sha=SHA, last_modified=REVISION_DATE)

    def fake_download(repo_id: str, filename: str, **kwargs) -> str:
        hub.download_calls.append((repo_id, filename, kwargs))
        return str(hub.cache)

    monkeypatch.setattr(fetch, "HfApi", FakeApi)
    monkeypatch.setattr(fetch, "hf_hub_download", fake_download)
    return hub


def test_fetch_hub_stats_pins_revision_and_loads(tmp_path: Path, fake_hub) -> None:
    out = tmp_path / "snapshots"
    path = fetch.fetch_hub_stats(out)
    assert path == out / f"hub-stats-models-{SHA[:12]}.parquet"
    assert fake_hub.info_calls == [("cfahlgren1/hub-stats", None)]
    assert fake_hub.download_calls == [
        ("cfahlgren1/hub-stats", "models.parquet", {"repo_type": "dataset", "revision": SHA})
    ]
    sidecar = json.loads(path.with_name(path.name + ".json").read_text())
    assert sidecar["repo"] == "cfahlgren1/hub-stats"
    assert sidecar["revision"] == SHA and sidecar["requested_revision"] is None
    assert sidecar["filename"] == "models.parquet"
    assert sidecar["sha256"] == sha256_file(fake_hub.cache) == sha256_file(path)
    assert sidecar["rows"] == 5 and sidecar["size"] == path.stat().st_size
    assert pd.Timestamp(sidecar["revision_date"]) == pd.Timestamp(REVISION_DATE)
    assert pd.Timestamp(sidecar["fetched_at"]).tzinfo is not None
    hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert hidden == [fetch.LOCK_NAME]  # no temporary files, only the lock

    models = load_snapshot(path)
    assert models.attrs["shape"] == "hub-stats" and models.attrs["revision"] == SHA
    assert models.attrs["snapshot_date"] == pd.Timestamp(REVISION_DATE)
    assert lists(models["hub_parents"]) == [[], ["org/base"], ["org/base", "alice/ft"], [], []]
    assert values(models["hub_relation"]) == [None, "finetune", "merge", None, None]
    assert values(models["params"]) == [7e9, 6_000_001_000.0, None, None, None]
    assert values(models["downloads_all_time"]) == [5000, 42, None, 7, 0]


def test_fetch_hub_stats_named_revision_and_reuse(tmp_path: Path, fake_hub) -> None:
    path = fetch.fetch_hub_stats(tmp_path, revision="main")
    assert fake_hub.info_calls == [("cfahlgren1/hub-stats", "main")]
    sidecar = json.loads(path.with_name(path.name + ".json").read_text())
    assert sidecar["requested_revision"] == "main" and sidecar["revision"] == SHA

    # The pinned sha is already here: no request at all, even offline.
    fake_hub.info_error = AssertionError("no network call expected")
    assert fetch.fetch_hub_stats(tmp_path, revision=SHA) == path
    assert len(fake_hub.download_calls) == 1


def test_fetch_hub_stats_offline_is_one_line(tmp_path: Path, fake_hub) -> None:
    import httpx2

    fake_hub.info_error = httpx2.ConnectError("[Errno -3] Temporary failure in name resolution")
    with pytest.raises(NetworkError) as err:
        fetch.fetch_hub_stats(tmp_path)
    assert str(err.value) == (
        "cannot reach huggingface.co (ConnectError: [Errno -3] Temporary failure in name "
        "resolution); the embedded 2024-07-11 snapshot works offline: run without --snapshot"
    )


def test_fetch_hub_stats_hf_hub_offline(
    tmp_path: Path, fake_hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(NetworkError, match=r"HF_HUB_OFFLINE is set\); the embedded"):
        fetch.fetch_hub_stats(tmp_path)
    assert fake_hub.info_calls == []


def _http_error(cls, status: int, url: str):
    import httpx2

    response = httpx2.Response(status, request=httpx2.Request("GET", url))
    return cls(f"{status} Client Error for url: {url}", response=response)


def test_fetch_hub_stats_unknown_revision(tmp_path: Path, fake_hub) -> None:
    from huggingface_hub.errors import RevisionNotFoundError

    url = "https://huggingface.co/api/datasets/cfahlgren1/hub-stats/revision/nope"
    fake_hub.info_error = _http_error(RevisionNotFoundError, 404, url)
    with pytest.raises(HflineageError) as err:
        fetch.fetch_hub_stats(tmp_path, revision="nope")
    assert not isinstance(err.value, NetworkError)
    assert str(err.value).startswith("cfahlgren1/hub-stats@nope: revision not found")


def test_fetch_hub_stats_server_error_names_status(tmp_path: Path, fake_hub) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    url = "https://huggingface.co/api/datasets/cfahlgren1/hub-stats"
    fake_hub.info_error = _http_error(HfHubHTTPError, 503, url)
    with pytest.raises(NetworkError, match=rf"^HTTP 503 from {url} "):
        fetch.fetch_hub_stats(tmp_path)


def test_fetch_hub_stats_rejects_changed_upstream_schema(tmp_path: Path, fake_hub) -> None:
    pq.write_table(hub_stats_table().drop_columns(["baseModels"]), fake_hub.cache)
    out = tmp_path / "out"
    with pytest.raises(SnapshotError, match=r"has no column 'baseModels'"):
        fetch.fetch_hub_stats(out)
    assert [p.name for p in out.iterdir()] == [fetch.LOCK_NAME]

    bad = hub_stats_table()
    bad = bad.set_column(bad.column_names.index("baseModels"), "baseModels", pa.array(["x"] * 5))
    pq.write_table(bad, fake_hub.cache)
    with pytest.raises(SnapshotError, match=r"column 'baseModels' is string"):
        fetch.fetch_hub_stats(out)
    assert [p.name for p in out.iterdir()] == [fetch.LOCK_NAME]  # only the (released) lock


def test_fetch_hub_stats_local_disk_error_is_not_a_network_error(
    tmp_path: Path, fake_hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/root/.cache/huggingface/hub")

    monkeypatch.setattr(fetch, "hf_hub_download", no_space)
    with pytest.raises(HflineageError) as err:
        fetch.fetch_hub_stats(tmp_path)
    assert not isinstance(err.value, NetworkError)
    assert "PermissionError" in str(err.value) and "\n" not in str(err.value)


def test_relative_next_link_and_restart(tmp_path: Path) -> None:
    routes = hub_routes()
    first = page(0)
    first.headers["Link"] = f'<{PAGE_URLS[1].removeprefix("https://huggingface.co")}>; rel="next"'
    routes[START] = [first]
    session = FakeSession(routes)
    folder = crawl(tmp_path, session)
    assert session.calls == PAGE_URLS and crawled_ids(folder) == ALL_IDS

    again = FakeSession(hub_routes())
    crawl(tmp_path, again, restart=True)  # a finished crawl is crawled again from page 1
    assert again.calls == PAGE_URLS and crawled_ids(folder) == ALL_IDS


# ------------------------------------------------------------------ interrupted and concurrent


def test_fetch_hub_stats_interrupted_download_then_a_clean_second_run(
    tmp_path: Path, fake_hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection drops during the download: one line, nothing in the folder but the lock;
    the next run (huggingface_hub resumes its .incomplete file) places the complete file."""
    good_download = fetch.hf_hub_download
    calls = []

    def dropped(repo_id: str, filename: str, **kwargs) -> str:
        calls.append(kwargs)
        if len(calls) == 1:
            raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")
        return good_download(repo_id, filename, **kwargs)

    monkeypatch.setattr(fetch, "hf_hub_download", dropped)
    out = tmp_path / "snapshots"
    with pytest.raises(NetworkError, match="ChunkedEncodingError") as err:
        fetch.fetch_hub_stats(out)
    assert "\n" not in str(err.value)
    assert [p.name for p in out.iterdir()] == [fetch.LOCK_NAME]
    path = fetch.fetch_hub_stats(out)
    assert sha256_file(path) == sha256_file(fake_hub.cache)
    assert len(calls) == 2 and "force_download" not in calls[1]


def test_fetch_hub_stats_damaged_cache_is_downloaded_again_once(
    tmp_path: Path, fake_hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = fake_hub.cache.read_bytes()
    damaged = tmp_path / "hf-cache" / "damaged.parquet"
    damaged.write_bytes(good[: len(good) // 2])  # a truncated file, as a broken transfer leaves
    calls = []

    def download(repo_id: str, filename: str, **kwargs) -> str:
        calls.append(kwargs)
        return str(fake_hub.cache if kwargs.get("force_download") else damaged)

    monkeypatch.setattr(fetch, "hf_hub_download", download)
    path = fetch.fetch_hub_stats(tmp_path / "out")
    assert [c.get("force_download", False) for c in calls] == [False, True]
    assert load_snapshot(path)["model_id"].tolist()[:2] == ["org/base", "alice/ft"]

    # damaged again after the forced download: a one-line error, no snapshot file
    monkeypatch.setattr(fetch, "hf_hub_download", lambda *a, **k: str(damaged))
    with pytest.raises(SnapshotError, match="not readable Parquet .* also after downloading"):
        fetch.fetch_hub_stats(tmp_path / "out2")
    assert [p.name for p in (tmp_path / "out2").iterdir()] == [fetch.LOCK_NAME]


def test_fetch_hub_stats_removes_what_a_killed_copy_left(tmp_path: Path, fake_hub) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = out / f".hub-stats-models-{SHA[:12]}.parquet.k1ll3d.tmp"
    stale.write_bytes(b"PAR1 half a file")
    other = out / ".unrelated.tmp"  # not ours: left alone
    other.write_text("x")
    path = fetch.fetch_hub_stats(out)
    assert not stale.exists() and other.exists()
    assert sha256_file(path) == sha256_file(fake_hub.cache)


def test_two_fetches_into_one_folder_do_not_interleave(
    tmp_path: Path, fake_hub, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import threading
    import time

    out = tmp_path / "out"
    order: list[str] = []
    real = fetch.hf_hub_download

    def slow(repo_id: str, filename: str, **kwargs) -> str:
        order.append("download")
        return real(repo_id, filename, **kwargs)

    monkeypatch.setattr(fetch, "hf_hub_download", slow)
    results: list[Path] = []
    with fetch.fetch_lock(out):  # a first fetch is writing into `out`
        worker = threading.Thread(target=lambda: results.append(fetch.fetch_hub_stats(out)))
        worker.start()
        time.sleep(0.5)
        order.append("first done")
    worker.join(10)
    # the second fetch waited, then did its whole work after the first released the folder
    assert order == ["first done", "download"]
    assert f"waiting: another hflineage command holds {out / fetch.LOCK_NAME}" in (
        capsys.readouterr().err
    )
    assert results == [out / f"hub-stats-models-{SHA[:12]}.parquet"]


def test_crawl_holds_the_fetch_lock_of_its_folder(tmp_path: Path, capsys) -> None:
    import threading
    import time

    order: list[str] = []

    def crawl_now() -> None:
        crawl(tmp_path, FakeSession(hub_routes()), chunk_size=5)
        order.append("crawl done")

    with fetch.fetch_lock(tmp_path):
        worker = threading.Thread(target=crawl_now)
        worker.start()
        time.sleep(0.5)
        order.append("first done")
    worker.join(10)
    assert order == ["first done", "crawl done"]
    assert crawled_ids(tmp_path / fetch_api.CRAWL_DIRNAME) == ALL_IDS
