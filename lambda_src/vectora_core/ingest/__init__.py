"""Feed ingestion: HTTP fetching at the edge, pure parsing into RawItems."""
