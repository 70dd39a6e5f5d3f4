"""How a :class:`~dedup.DedupIndex` turns articles into stored posts, through the shared steps.

A stored post holds the features ``dedup check`` would compute for it within the
indexed set: its account's learned boilerplate stripped as it stands after the change
that brings the post in (or takes others out). :class:`PostMaker` composes the steps
for that: :func:`~dedup.steps.prepare`, the incremental boilerplate model
(:func:`~dedup.boilerplate.plan_changes`), extraction, signatures and band keys.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace

from dedup.boilerplate import AccountBoilerplate, AccountChange, plan_changes
from dedup.config import DedupConfig
from dedup.features import FeatureExtractor, Features
from dedup.index_storage import Storage, StoredPost, doc_of
from dedup.lsh import BandKeys, PostBands
from dedup.models import Article
from dedup.signature import sign
from dedup.steps import Prepared, is_comparable, prepare

__all__ = ["PostMaker"]


class PostMaker:
    """Stored posts of an index under ``config``, reading what it needs from ``storage``.

    Parameters
    ----------
    config : DedupConfig
        The index's config.
    storage : Storage
        Where the index's posts and boilerplate figures are.
    """

    def __init__(self, config: DedupConfig, storage: Storage) -> None:
        self.config = config
        self.storage = storage
        self.extractor = FeatureExtractor(config)
        self.rule = AccountBoilerplate.from_params(config.params)

    def prepare(self, article: Article) -> Prepared:
        """Normalize a post and compute its boilerplate keys (:func:`~dedup.steps.prepare`)."""
        return prepare(self.extractor, article)

    def changes(self, added: Sequence[Prepared], removed: Sequence[StoredPost]) -> dict[str, AccountChange]:
        """How each account's learned boilerplate changes when ``added`` come and ``removed`` go."""
        if not self.config.learn_boilerplate:
            return {}
        return plan_changes(
            self.storage,
            [(p.article.account, p.body_key, p.sentences) for p in added],
            [(r.account, r.body_key, r.sentences) for r in removed],
            rule=self.rule,
        )

    def stored(self, p: Prepared, change: AccountChange | None, *, keep_doc: bool = True) -> StoredPost:
        """A prepared post's features under its account's learned boilerplate (after ``change``)."""
        learned: set[int] | None = None
        if change is not None and change.after:
            keys = p.sentences.tolist()
            counts = self.storage.account_state(change.account, keys, ()).counts if keys else {}
            learned = change.learned_of(keys, counts)
        body = p.stripped(learned, min_kept=self.config.params.boilerplate_min_kept)
        f = self.extractor.extract(p.article, body=body, title=p.title)
        # One string per account across the index.
        f = replace(f, account=sys.intern(f.account))
        return StoredPost(
            features=f,
            body_key=p.body_key,
            sentences=p.sentences,
            eligible=is_comparable(f, self.config),
            sensitive=p.sensitive,
            doc=doc_of(p.article) if keep_doc else b"",
        )

    def bands_of(self, feats: Sequence[Features]) -> list[PostBands]:
        """Band keys as ``dedup check`` computes them (one signing call for all)."""
        placed = [replace(f, position=k) for k, f in enumerate(feats)]
        return BandKeys.of(sign(placed, self.config), self.config).posts()

    def reextract(self, ids: Sequence[str], changes: dict[str, AccountChange]) -> list[StoredPost]:
        """Indexed posts' features under ``changes`` (from their stored articles)."""
        out = []
        for post in self.storage.posts(list(ids), docs=True):
            if post is not None:
                out.append(self.stored(self.prepare(post.article()), changes.get(post.account)))
        return out
