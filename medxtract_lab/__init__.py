"""MedXtract Lab: structured fields from scanned and photographed medical PDFs."""

__version__ = "0.1.0"
