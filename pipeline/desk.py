"""Where the analyst's desk keeps its files: the evidence basket and the per-corpus indexes, in
an owner-only folder of the state folder (`.rlm/desk/`, or `RLM_DESK_DIR`).

Files are created through `pipeline.state_folder` (0700 folders, 0600 files). The pure logic is
in `tools.basket` and `tools.corpus_index`; this module only decides the paths.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pipeline import state_folder
from tools.basket import Basket
from tools.corpus_index import CorpusIndex
from tools.models import Corpus

logger = logging.getLogger(__name__)

DESK_ENV = "RLM_DESK_DIR"
BASKET_FILE = "evidence.sqlite3"
INDEX_FILE = "index.parquet"


def desk_dir(*parts: str) -> Path:
    """`.rlm/desk/<parts>` (or `$RLM_DESK_DIR/<parts>`), created owner-only."""
    override = os.environ.get(DESK_ENV)
    if override:
        return state_folder.make_private_dir(Path(override).joinpath(*parts))
    return state_folder.state_dir("desk", *parts)


def basket() -> Basket:
    """The evidence basket (its SQLite file created owner-only on first use)."""
    path = desk_dir() / BASKET_FILE
    if not path.exists():
        state_folder.open_private(path, "ab").close()
    return Basket(path)


def index_path(fingerprint: str) -> Path:
    return desk_dir("corpora", fingerprint) / INDEX_FILE


def corpus_index(corpus: Corpus) -> CorpusIndex:
    """The corpus's stored index; built and stored (owner-only) on first use."""
    path = index_path(corpus.fingerprint())
    index = CorpusIndex.load(path) if path.exists() else None
    if index is not None and len(index) == len(corpus):
        return index
    logger.info("building the analyst's index of %d emails", len(corpus))
    index = CorpusIndex.from_corpus(corpus)
    state_folder.write_private(path, index.to_bytes())
    return index
