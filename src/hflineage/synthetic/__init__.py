"""A **synthetic** Hub in the exact ``cfahlgren1/hub-stats`` ``models.parquet`` schema, for
benchmarks and tests only — never for results.

:func:`~hflineage.synthetic.generator.synthetic_hub_stats` draws ``n_models`` models (default 3,000,000, about today's Hub) with
the columns :func:`hflineage.data.hub_stats.models_from_hub_stats` reads: ``id``, ``author``,
``createdAt``, ``lastModified``, ``likes``, ``downloads``, ``downloadsAllTime``,
``trendingScore``, ``tags``, ``pipeline_tag``, ``library_name``, ``baseModels`` (struct
``{models: list<{_id, id}>, relation}``), ``safetensors`` (struct ``{parameters, total}``) and
``cardData`` (JSON text).  :func:`~hflineage.synthetic.ageing.age_snapshot` derives a *later* snapshot from an earlier one
(new models, new likes, changed downloads, deletions) for two-snapshot designs.

Every file written here is labelled synthetic twice: its name (``synthetic-hub-stats-<N>.parquet``)
and its Parquet metadata (``hflineage.synthetic=true``).
:func:`hflineage.data.load.load_snapshot` refuses such a file unless the caller says it is a
benchmark (``allow_synthetic=True`` or the environment variable ``HFLINEAGE_ALLOW_SYNTHETIC=1``,
which ``hflineage run --benchmark`` sets).

Modules: :mod:`~hflineage.synthetic.calibration` (the figures it reproduces),
:mod:`~hflineage.synthetic.attachment` (creation times, relations, the attachment kernel),
:mod:`~hflineage.synthetic.generator` (the table), :mod:`~hflineage.synthetic.ageing` (a later
snapshot), :mod:`~hflineage.synthetic.files` (labelling and writing), with
:mod:`~hflineage.synthetic.vocabulary` and :mod:`~hflineage.synthetic.arrays` as their parts.
Layer: above ``data`` and ``lineage``; nothing in ``data``, ``lineage``, ``mdi`` or ``race``
imports it (the guard ``load_snapshot`` needs is :mod:`hflineage.data.synthetic_label`).
"""

from .ageing import AGEING, Ageing, age_snapshot
from .attachment import attach_parents, attractiveness
from .calibration import ATTACHMENT, CALIBRATION, RELATIONS_ORDER, Attachment, Calibration
from .files import label_synthetic, synthetic_path, write_synthetic
from .generator import synthetic_hub_stats

__all__ = [
    "AGEING",
    "ATTACHMENT",
    "CALIBRATION",
    "RELATIONS_ORDER",
    "Ageing",
    "Attachment",
    "Calibration",
    "age_snapshot",
    "attach_parents",
    "attractiveness",
    "label_synthetic",
    "synthetic_hub_stats",
    "synthetic_path",
    "write_synthetic",
]
