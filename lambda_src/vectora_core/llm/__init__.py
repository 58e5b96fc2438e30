"""The pluggable LLM layer: a Bedrock backend and a labelled offline backend."""
