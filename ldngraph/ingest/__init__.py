"""Readers for the project's sources: curated YAML, PubMed XML/MEDLINE, E-utilities."""
