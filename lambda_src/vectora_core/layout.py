"""Where everything lives in the buckets: the one home of every S3 key and prefix.

The engine writes with these functions, the release toolkit (operations, status, benchmarks, deploy and rollback)
reads with them, and the IAM checks compare the Terraform statements with them, so a change of layout that the
permissions do not follow fails a test instead of a run. Pure: names only, no S3 call.

- config bucket (CONFIG_BUCKET; keys are paths relative to `config/` in the repository): `clients/<client_id>.yaml`,
  the canonical scopes a client names (`canonical/<field>_scopes.yaml`), the prices `bedrock_pricing.yaml`.
- data bucket (DATA_BUCKET), under a data root (`""` for publishing runs, `checks/<mode>/` for check runs):
  `feed-state/<client_id>.json`, `items/<client_id>/<item_id>.json` and `items/<client_id>/_index.json`; the
  shared store `shared/feeds/...` and `shared/normalized/...`. Outside the roots: the edition history
  `history/<client_id>.json` (publishing runs only) and `locks/` (write leases and claims of shared work, which
  runs delete).
- newsletters bucket (NEWSLETTERS_BUCKET): editions under `newsletters/<client_id>/<day>/`, the editorial cache
  under `cache/<client_id>/`; check runs under `checks/<mode>/<version>/<client_id>/<day>/` and
  `checks/cache/<client_id>/`.
- artifacts bucket (the toolkit's): `<function>/<sha256>.zip`, `<function>/smoke/<version>.json`, the deploy lease
  `<function>/deploy.lease` and the mark of config files under test `<function>/config-pending.json`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# --- config bucket ------------------------------------------------------------------------------------------------

CLIENTS_PREFIX = "clients/"
CANONICAL_PREFIX = "canonical/"
PRICES_KEY = "bedrock_pricing.yaml"


def client_key(client_id: str) -> str:
    return f"{CLIENTS_PREFIX}{client_id}.yaml"


# --- data bucket --------------------------------------------------------------------------------------------------

CHECKS_PREFIX = "checks/"  # in the data and newsletters buckets: everything a check run writes
FEED_STATE_PREFIX = "feed-state/"
ITEMS_PREFIX = "items/"
HISTORY_PREFIX = "history/"
LOCKS_PREFIX = "locks/"
SHARED_PREFIX = "shared/"
INDEX_NAME = "_index.json"


def check_data_root(mode: str) -> str:
    """The data root of a check run of `mode` (smoke, drill, bench): its feed state, stored items, shared store."""
    return f"{CHECKS_PREFIX}{mode}/"


def feed_state_key(client_id: str, root: str = "") -> str:
    return f"{root}{FEED_STATE_PREFIX}{client_id}.json"


def items_prefix(client_id: str, root: str = "") -> str:
    return f"{root}{ITEMS_PREFIX}{client_id}/"


def item_key(client_id: str, item_id: str, root: str = "") -> str:
    return f"{items_prefix(client_id, root)}{item_id}.json"


def index_key(client_id: str, root: str = "") -> str:
    return f"{items_prefix(client_id, root)}{INDEX_NAME}"


def history_key(client_id: str) -> str:
    return f"{HISTORY_PREFIX}{client_id}.json"


def write_lease_key(client_id: str, day: str, run: str = "") -> str:
    """The lease of a client's newsletter for a day; `run` is a check run's `<mode>/<version>` (its own lease)."""
    return (
        f"{LOCKS_PREFIX}{CHECKS_PREFIX}{run}/{client_id}/{day}.json" if run else f"{LOCKS_PREFIX}{client_id}/{day}.json"
    )


def shared_root(data_root: str) -> str:
    return f"{data_root}{SHARED_PREFIX}"


def _digest(text: str, length: int = 32) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def shared_feed_key(root: str, url: str) -> str:
    """The shared record of the feed at `url` under a shared root (`shared_root(data_root)`)."""
    return f"{root}feeds/{_digest(url)}.json"


def shared_normalized_prefix(root: str) -> str:
    return f"{root}normalized/"


def shared_normalized_key(root: str, identity: str, content_hash: str) -> str:
    """One item's shared normalization: by what it was made with (`identity`) and the item's content."""
    return f"{shared_normalized_prefix(root)}{_digest(identity, 16)}/{content_hash}.json"


def claim_key(key: str) -> str:
    """The claim on the work behind `key`: under `locks/`, where runs may delete what they created."""
    return f"{LOCKS_PREFIX}{key}"


# --- newsletters bucket -------------------------------------------------------------------------------------------

NEWSLETTERS_PREFIX = "newsletters/"
CACHE_PREFIX = "cache/"
EDITION_FILES = {"markdown": "newsletter.md", "html": "newsletter.html", "manifest": "manifest.json"}


def client_newsletters_prefix(client_id: str) -> str:
    return f"{NEWSLETTERS_PREFIX}{client_id}/"


def newsletter_prefix(client_id: str, day: str) -> str:
    return f"{client_newsletters_prefix(client_id)}{day}/"


def edition_keys(prefix: str) -> dict[str, str]:
    """The keys of an edition's files (markdown, html, manifest) under its prefix."""
    return {kind: prefix + name for kind, name in EDITION_FILES.items()}


def manifest_key(client_id: str, day: str) -> str:
    return edition_keys(newsletter_prefix(client_id, day))["manifest"]


def cache_prefix(client_id: str) -> str:
    return f"{CACHE_PREFIX}{client_id}/"


def editorial_key(client_id: str, key: str, prefix: str | None = None) -> str:
    """`cache/<client_id>/<key>.json`, or the same name under a check run's own cache `prefix`."""
    return f"{prefix or cache_prefix(client_id)}{key}.json"


def check_cache_prefix(client_id: str) -> str:
    """The editorial cache every check run shares, apart from the published one."""
    return f"{CHECKS_PREFIX}{cache_prefix(client_id)}"


def check_runs_prefix(mode: str, function_version: str) -> str:
    """Where the check runs of `mode` on one function version write their files, per client and day below."""
    return f"{CHECKS_PREFIX}{check_run(mode, function_version)}/"


def check_run(mode: str, function_version: str) -> str:
    return f"{mode}/{safe_segment(function_version)}"


def safe_segment(text: str) -> str:
    """One key segment: a version is "3", "$LATEST" or "local"; anything else is reduced to safe characters."""
    cleaned = "".join(c if c.isalnum() or c in "$._-" else "-" for c in str(text or ""))[:64]
    return cleaned or "local"


@dataclass(frozen=True)
class OutputPlace:
    """Where one run writes: the published edition, or a check run's own prefix that nothing published reads.

    A check run (smoke test, rollback drill, benchmark) gets its own files, editorial cache, write lease and data
    state (feed state, stored items) under `checks/<mode>/` of the data bucket, so it can neither replace an
    edition nor feed one with what an unproven version produced, while its own warm path (304s, stored items,
    cache hits) still works like a publishing run's.
    """

    newsletter_prefix: str
    cache_prefix: str
    lease_key: str
    data_root: str  # prefix of feed state and stored items in the data bucket
    publishes: bool


def output_place(mode: str, publishes: bool, client_id: str, day: str, function_version: str) -> OutputPlace:
    if publishes:
        return OutputPlace(
            newsletter_prefix(client_id, day), cache_prefix(client_id), write_lease_key(client_id, day), "", True
        )
    run = check_run(mode, function_version)
    return OutputPlace(
        f"{check_runs_prefix(mode, function_version)}{client_id}/{day}/",
        check_cache_prefix(client_id),
        write_lease_key(client_id, day, run),
        check_data_root(mode),
        False,
    )


# --- artifacts bucket (the toolkit's) -----------------------------------------------------------------------------


def artifact_key(function_name: str, sha256_hex: str) -> str:
    """Where the toolkit (and Terraform's first upload) keep a zip: by function and content hash."""
    return f"{function_name}/{sha256_hex}.zip"


def smoke_records_prefix(function_name: str) -> str:
    return f"{function_name}/smoke/"


def smoke_record_key(function_name: str, version: str) -> str:
    return f"{smoke_records_prefix(function_name)}{version}.json"


def deploy_lease_key(function_name: str) -> str:
    return f"{function_name}/deploy.lease"


def config_pending_key(function_name: str) -> str:
    return f"{function_name}/config-pending.json"
