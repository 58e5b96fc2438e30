"""The everyday release commands in several orders, from an empty emulator, with the real engine and the real
Terraform: the demo and rollback after an apply, a published edition kept through deploy, smoke and rollback,
and what each command says when the stack is missing.

The second half of the any-order walk (test_any_order.py holds Terraform's side); see any_order_walk.py for the
module's services, the stack its tests share and how a refused step is recorded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from any_order_walk import Refused, applied_walk, empty_walk, refused_with_a_command_to_run_first, walk
from stack_template import stack_template

from toolkit import packaging
from toolkit.deploy import deploy, list_versions, rollback
from toolkit.drivers.demo import drill_package, main_job, schedule_payload
from toolkit.invoker import invoke_function
from toolkit.local import services
from toolkit.log_tail import tail_logs
from toolkit.smoke import run_smoke

pytestmark = pytest.mark.slow


def test_commands_needing_the_stack_name_tf_apply_on_an_empty_emulator(empty_walk):
    walk = empty_walk

    commands = (
        (deploy, ()),
        (run_smoke, ("payloads/test-payload-p1.json",)),
        (rollback, ()),
        (list_versions, ()),
        (tail_logs, ()),
    )
    for action, args in commands:
        result = walk.step(action, walk.env, *args)
        assert refused_with_a_command_to_run_first(result), f"{action.__name__}: {getattr(result, 'message', result)}"
        assert "invoke tf.apply" in result.message


def test_down_up_demo_then_rollback(empty_walk, tmp_path):
    """After `local.down` and `local.up` the demo re-applies from a fresh state; a rollback after it either works
    or names the command that would (the demo leaves `live` on the version Terraform created)."""
    walk = empty_walk
    walk.leave_a_stale_state()  # tf.apply, local.down, local.up: the Terraform state lists what the emulator lost

    saved = walk.succeeds(main_job, env=walk.env, out_root=tmp_path)
    result = walk.step(rollback, walk.env)

    assert (saved / "newsletter.html").is_file()
    demo_log = (services.STATE_DIR / "logs" / "demo.log").read_text()
    assert "the emulator was restarted since the last apply" in demo_log
    assert not isinstance(result, Refused) or refused_with_a_command_to_run_first(result), result.message


def test_published_edition_is_byte_identical_after_deploy_smoke_and_rollback(applied_walk, tmp_path):
    walk = applied_walk  # as a fresh `invoke tf.apply` leaves it
    weekly = invoke_function(walk.env, walk.env.alias_name, schedule_payload(), printer=walk.printed.append)
    assert weekly.payload["mode"] == "publish"
    before = walk.published_edition()
    assert {weekly.payload["s3"]["markdown"], weekly.payload["s3"]["html"], weekly.payload["s3"]["manifest"]} <= set(
        before
    )

    current = packaging.build_package("local", printer=walk.printed.append)
    drill = drill_package(Path(current.path), tmp_path)
    assert walk.succeeds(deploy, walk.env, build=lambda _env, _printer: drill).live_version == "2"
    assert walk.succeeds(run_smoke, walk.env, "payloads/test-payload-p1.json").ok
    assert walk.succeeds(rollback, walk.env).to_version == "1"

    assert walk.published_edition() == before
