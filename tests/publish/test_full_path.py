"""Every chapter on the full-profile code path: a small synthetic hub-stats file (typed
``baseModels`` relations, ``safetensors`` parameter counts, both download columns) run through
``hflineage run --profile full --benchmark -p snapshot=...`` in a project of its own.

The numbers the chapters record are checked against the synthetic table read without them (an
independent route): the models, the declared pairs and typed relations, the sizes taken from the
data.  Slow (six chapters), so marked like the ci notebook run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hflineage.cli import main
from hflineage.config import REPO_ROOT
from hflineage.data import load_snapshot
from hflineage.data.synthetic_label import ALLOW_ENV
from hflineage.lineage import build_edges
from hflineage.lineage.size import model_size

pytestmark = pytest.mark.notebooks

N_MODELS = 20_000


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with the book's chapters and the full profile, results kept apart."""
    (tmp_path / "params").mkdir()
    shutil.copy(REPO_ROOT / "params" / "full.yaml", tmp_path / "params" / "full.yaml")
    (tmp_path / "notebooks").symlink_to(REPO_ROOT / "notebooks", target_is_directory=True)
    return tmp_path


def test_every_chapter_on_a_synthetic_hub_stats_file(project, tmp_path, monkeypatch, capsys):
    from hflineage.publish import pipeline

    assert main(["synth", "--models", str(N_MODELS), "--out", str(tmp_path), "--seed", "7"]) == 0
    path = tmp_path / f"synthetic-hub-stats-{N_MODELS}.parquet"
    capsys.readouterr()

    # without the benchmark flag the book refuses the file (in the first chapter)
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    with pytest.raises(Exception, match="synthetic benchmark file"):
        pipeline.run(
            "full",
            root=project,
            only=["01_data"],
            overrides={"snapshot": str(path)},
            progress=False,
        )

    monkeypatch.setenv(ALLOW_ENV, "1")  # what `hflineage run --benchmark` sets
    results = pipeline.run(
        "full", root=project, overrides={"snapshot": str(path)}, progress=False, force=True
    )
    manifest = json.loads((results / "manifest.json").read_text())
    chapters = sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("[0-9]*.md"))
    assert manifest["status"] == "ok"
    assert sorted(manifest["notebooks"]) == chapters
    assert all(r["status"] == "ok" for r in manifest["notebooks"].values())
    numbers = json.loads((results / "numbers.json").read_text())["numbers"]
    value = {ch: {k: v["value"] for k, v in entries.items()} for ch, entries in numbers.items()}

    # independent route: the file read and processed outside the chapters
    models = load_snapshot(path, allow_synthetic=True)
    edges = build_edges(models)
    data = value["01_data"]
    assert data["n_models"] == N_MODELS
    assert "SYNTHETIC" in data["data_label"]
    assert data["n_declared_pairs"] == int(models["declared_parents"].list.len().sum())
    assert data["n_typed"] == int(models["declared_relation"].notna().sum())
    lin = value["02_lineage"]
    assert lin["n_edges"] == len(edges)
    # typed relations from the Hub, inference only where none is declared
    inferred = float((edges["relation_source"] == "inferred").mean())
    assert lin["share_inferred"] == pytest.approx(inferred)
    assert inferred < 0.05
    # the rules checked against the declared relations: every declared edge is compared
    declared = int((edges["relation_source"] == "declared").sum())
    assert lin["n_agreement_edges"] == declared > 0
    assert 0 < lin["agreement_declared"] <= 1
    # the full profile's PPML budget reaches the chapter (params/full.yaml)
    assert value["06_robustness"]["rob_ppml_sizes"] == "only at a minimum race size of 10 entrants"
    size = value["04_who_disrupts"]
    sizes = model_size(models, edges, inherit=True)
    params = models["params"].astype("float64").to_numpy()
    from_data = int((~np.isnan(params) & (params > 0)).sum())
    assert size["size_from_data"] == from_data == int((sizes["size_source"] == "data").sum())
    assert from_data / N_MODELS == pytest.approx(0.234, abs=0.01)  # the calibration figure
