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
from dataclasses import dataclass, replace

from dedup.boilerplate import AccountBoilerplate, AccountChange, affected_posts, plan_changes
from dedup.chrome import ChromeChange, ChromeModel, plan_chrome
from dedup.config import DedupConfig
from dedup.features import FeatureExtractor, Features
from dedup.index_storage import Storage, StoredPost, doc_of
from dedup.lsh import BandKeys, PostBands
from dedup.models import Article
from dedup.signature import sign
from dedup.steps import Prepared, is_comparable, prepare

__all__ = ["Changes", "PostMaker"]


@dataclass(frozen=True, slots=True)
class Changes:
    """What a step changes in what the index learned: per account, and the page chrome.

    ``model`` is the chrome after the step (``None``: chrome is not learned).
    """

    accounts: dict[str, AccountChange]
    chrome: ChromeChange | None
    model: ChromeModel | None


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

    def changes(self, added: Sequence[Prepared], removed: Sequence[StoredPost]) -> Changes:
        """How each account's learned boilerplate and the page chrome change when ``added`` come and ``removed`` go."""
        accounts: dict[str, AccountChange] = {}
        if self.config.learn_boilerplate:
            accounts = plan_changes(
                self.storage,
                [(p.article.account, p.body_key, p.sentences) for p in added],
                [(r.account, r.body_key, r.sentences) for r in removed],
                rule=self.rule,
            )
        if not self.config.params.chrome_min_posts:
            return Changes(accounts, None, None)
        chrome = plan_chrome(
            self.storage,
            [p.run() for p in added],
            [r.body_key for r in removed],
            min_posts=self.config.params.chrome_min_posts,
            related=self.config.params.chrome_related,
        )
        return Changes(accounts, chrome, chrome.model(self.storage.chrome_keys()))

    def affected(self, changes: Changes) -> dict[str, str]:
        """Stored posts whose stripped body changes with ``changes``: id -> account."""
        out = affected_posts(self.storage, changes.accounts)
        if changes.chrome is not None and len(changes.chrome.flipped):
            for id_, account in self.storage.posts_of_bodies(self.storage.bodies_with(changes.chrome.flipped)).items():
                out.setdefault(id_, account)
        return out

    def stored(self, p: Prepared, changes: Changes, *, keep_doc: bool = True) -> StoredPost:
        """A prepared post's features without page chrome and its account's learned boilerplate (after ``changes``)."""
        learned: set[int] | None = None
        change = changes.accounts.get(p.article.account)
        if change is not None and change.after:
            keys = p.sentences.tolist()
            counts = self.storage.account_state(change.account, keys, ()).counts if keys else {}
            learned = change.learned_of(keys, counts)
        body = p.stripped(changes.model, learned, min_kept=self.config.params.boilerplate_min_kept)
        f = self.extractor.extract(p.article, body=body, title=p.title)
        # One string per account across the index.
        f = replace(f, account=sys.intern(f.account))
        return StoredPost(
            features=f,
            body_key=p.body_key,
            sentences=p.sentences,
            sentence_sizes=p.sizes,
            body_length=p.length,
            body_sketch=p.sketch,
            body_grams=p.grams,
            eligible=is_comparable(f, self.config),
            sensitive=p.sensitive,
            doc=doc_of(p.article) if keep_doc else b"",
        )

    def bands_of(self, feats: Sequence[Features]) -> list[PostBands]:
        """Band keys as ``dedup check`` computes them (one signing call for all)."""
        placed = [replace(f, position=k) for k, f in enumerate(feats)]
        return BandKeys.of(sign(placed, self.config), self.config).posts()

    def reextract(self, ids: Sequence[str], changes: Changes) -> list[StoredPost]:
        """Indexed posts' features under ``changes`` (from their stored articles)."""
        out = []
        for post in self.storage.posts(list(ids), docs=True):
            if post is not None:
                out.append(self.stored(self.prepare(post.article()), changes))
        return out
