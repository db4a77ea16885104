"""What a chapter writes through: the :class:`~hflineage.chapter.report.Chapter` record (numbers,
figures, tables, verdicts), the table formats, the generated sentences, and the declared claims
(``book/claims.yml``) with the rule each one names.

Chapters import from here; the machinery that runs and renders them is :mod:`hflineage.publish`.
"""
