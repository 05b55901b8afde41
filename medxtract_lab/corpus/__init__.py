"""Synthetic documents and the labelled ground-truth store."""

from medxtract_lab.corpus.store import LabeledDocument, load_corpus, save_label
from medxtract_lab.errors import LabelError

__all__ = ["LabeledDocument", "LabelError", "load_corpus", "save_label"]
