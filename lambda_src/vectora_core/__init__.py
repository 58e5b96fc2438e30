"""Vectora Inbox engine: feeds in, an LLM-written industry newsletter out."""

__version__ = "1.0.0"
