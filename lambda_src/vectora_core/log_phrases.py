"""The log phrases others read: the engine writes with these, the smoke test, doctor and `invoke run` read with them.

The wording is the deployment plan's (phase 3, in French) and must stay byte-identical: its smoke tests look for
`Client Bedrock hybride : newsletter → eu-west-3` on a basic run, then `Newsletter sauvegardée en cache` and
`Newsletter récupérée depuis cache S3` on the two cache runs. Each phrase is the `message` of one JSON log line
(`vectora_core.logs.log_event`); the line's other fields carry the details. Pure: strings and regexes only.
"""

from __future__ import annotations

import re

# Where each purpose's Bedrock client goes, logged by every invocation (`llm.bedrock.log_routing`).
BEDROCK_ROUTING_PREFIX = "Client Bedrock hybride"
_BEDROCK_ROUTING = BEDROCK_ROUTING_PREFIX + " : {purpose} → {region}"
_BEDROCK_ROUTING_LINE = re.compile(re.escape(BEDROCK_ROUTING_PREFIX) + r" : (\w+) → ([a-z0-9-]+)")

# The editorial cache: a miss (or force_regenerate) that stored the editorial, and a hit.
CACHE_SAVED = "Newsletter sauvegardée en cache"
CACHE_HIT = "Newsletter récupérée depuis cache S3"

# The ultra-compact editorial prompt, with its estimated tokens (the plan's "prompt < 1000 tokens").
EDITORIAL_PROMPT = "Prompt éditorial compact"

# The SDK the function runs with, logged once per container at start-up; doctor searches the log group for it.
RUNTIME_SDK = "SDK AWS du runtime"


def bedrock_routing(purpose: str, region: str) -> str:
    """`Client Bedrock hybride : newsletter → eu-west-3`."""
    return _BEDROCK_ROUTING.format(purpose=purpose, region=region)


def parse_bedrock_routing(text: str) -> list[tuple[str, str]]:
    """Every (purpose, region) a text's routing phrases name, in order."""
    return [(match.group(1), match.group(2)) for match in _BEDROCK_ROUTING_LINE.finditer(text)]
