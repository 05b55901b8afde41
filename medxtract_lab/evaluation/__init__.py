"""Metrics, the corpus runner with its OCR cache, and the report helpers."""
