"""Synthetic documents and the labelled ground-truth store."""

from medxtract_lab.corpus.store import LabeledDocument, LabelError, load_corpus, save_label

__all__ = ["LabeledDocument", "LabelError", "load_corpus", "save_label"]
