"""The everyday commands in several orders, from an empty emulator, with the real engine and the real Terraform.

Each step either succeeds or fails with a one-line message naming the command to run first. The functions called
are the ones the Invoke tasks wrap. A test that starts from an empty emulator (what `invoke local.down` then
`local.up` gives) keeps the local Terraform state on disk, as it does for a user: the toolkit must notice that the
state went stale. One set of services (emulator, Bedrock stand-in, sample feeds, on ports of this module) and one
copy of the Terraform tree serve the whole module; the tests that need the stack start from the session's one apply
of it, restored into the module's emulator (`applied_walk`), and those that tamper with the state get an emulator
and tree of their own (`empty_walk`). `invoke run` before any apply applies from the empty emulator itself.

The walk is split over two modules so that two xdist workers each take half of it: this one covers
the stack coming up (run before apply, apply twice, smoke and deploy on a fresh stack, stale state), and
test_any_order_releases.py the demo, rollback and the refusals before any apply.
"""

from __future__ import annotations

import pytest
from any_order_walk import PAYLOAD, applied_walk, empty_walk, refused_with_a_command_to_run_first, walk
from stack_template import stack_template

from toolkit import terraform
from toolkit.deploy import deploy
from toolkit.local import emulator_state
from toolkit.local.run_local import run_payload
from toolkit.smoke import run_smoke
from toolkit.stack import apply_stack

pytestmark = pytest.mark.slow


def test_run_before_apply_brings_the_stack_up_through_terraform(walk, tmp_path):
    walk.fresh_emulator()

    result = walk.succeeds(run_payload, walk.env, PAYLOAD, out_dir=tmp_path)

    assert result["status"] == "ok"
    assert walk.succeeds(terraform.plan, "local", endpoint_url=walk.emulator_url, detailed_exitcode=True) == 0


def test_apply_twice_changes_nothing_the_second_time(applied_walk):
    walk = applied_walk  # as one `invoke tf.apply` from an empty emulator leaves it; this is the second apply

    walk.printed.clear()
    walk.succeeds(apply_stack, walk.env)

    applies = [line for line in walk.printed if line.startswith("terraform apply (local)")]
    assert len(applies) == 1 and "0 added, 0 changed, 0 destroyed" in applies[0]


def test_buckets_no_state_knows_are_refused_with_the_way_out(empty_walk):
    from toolkit.services import boto3_client

    walk = empty_walk
    for path in (terraform.REPO_ROOT / "terraform" / "envs" / "local").glob("terraform.tfstate*"):
        path.unlink()
    bucket = walk.env.lambda_environment["DATA_BUCKET"]
    boto3_client(walk.env, "s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": walk.env.aws_region}
    )

    result = walk.step(apply_stack, walk.env)

    assert refused_with_a_command_to_run_first(result) and "invoke local.down" in result.message


def test_state_is_kept_when_the_emulator_still_holds_some_of_its_buckets(empty_walk):
    import json

    from toolkit.services import boto3_client

    walk = empty_walk
    ws = terraform.workspace("local", endpoint_url=walk.emulator_url)
    bucket = walk.env.lambda_environment["DATA_BUCKET"]
    state = {"resources": [
        {"type": "aws_s3_bucket", "instances": [{"attributes": {"bucket": name}}]}
        for name in (bucket, walk.env.lambda_environment["CONFIG_BUCKET"])
    ]}  # fmt: skip
    (ws.directory / terraform.STATE_FILE).write_text(json.dumps(state))
    boto3_client(walk.env, "s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": walk.env.aws_region}
    )

    dropped = emulator_state.forget_stale_emulator_state(ws, walk.printed.append)

    assert dropped is False and (ws.directory / terraform.STATE_FILE).is_file()
    (ws.directory / terraform.STATE_FILE).unlink()


def test_apply_then_smoke_then_deploy_then_smoke_pass_on_a_fresh_stack(applied_walk):
    walk = applied_walk  # as `invoke tf.apply` from an empty emulator leaves it; nothing deployed since

    assert walk.succeeds(run_smoke, walk.env, "payloads/test-payload-p1.json").ok
    assert walk.succeeds(deploy, walk.env).live_version == "1"
    assert walk.succeeds(run_smoke, walk.env, "payloads/test-payload-p1.json").ok
