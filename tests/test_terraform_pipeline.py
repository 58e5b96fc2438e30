"""What CI needs from the Terraform toolkit: backend settings from a variable, a saved plan's summary."""

from __future__ import annotations

import pytest

from tests.test_terraform import copy_infrastructure
from toolkit import terraform


def _change(address: str, *actions: str) -> dict:
    return {"address": address, "change": {"actions": list(actions)}}


def test_plan_summary_counts_each_action_and_lists_changed_resources():
    plan = {
        "resource_changes": [
            _change("module.a.aws_sqs_queue.failures", "create"),
            _change("module.a.aws_cloudwatch_metric_alarm.errors", "update"),
            _change("module.a.aws_cloudwatch_event_rule.this", "delete"),
            _change("module.a.aws_iam_role.this", "delete", "create"),
            _change("module.a.aws_lambda_alias.live", "no-op"),
        ]
    }

    summary = terraform.plan_summary_markdown("dev", plan, "Plan: 2 to add, 1 to change, 2 to destroy.")

    assert "**1 to add, 1 to change, 1 to destroy, 1 to replace**" in summary
    assert "| `module.a.aws_iam_role.this` | delete/create |" in summary
    assert "aws_lambda_alias.live" not in summary
    assert "Plan: 2 to add" in summary


def test_plan_summary_of_an_unchanged_stack_says_so():
    summary = terraform.plan_summary_markdown("dev", {"resource_changes": [_change("x.y", "no-op")]}, "No changes.")

    assert "**no changes**" in summary and "| resource |" not in summary


def test_a_long_plan_is_cut_in_the_summary():
    summary = terraform.plan_summary_markdown("dev", {}, "x" * 100, max_chars=10)

    assert "x" * 11 not in summary and "cut" in summary


def test_ci_takes_the_state_bucket_from_a_variable_when_there_is_no_backend_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TF_STATE_BUCKET", "acme-terraform-state")
    ws = terraform.workspace("dev", repo_root=copy_infrastructure(tmp_path))

    assert terraform.backend_settings(ws) == {
        "bucket": "acme-terraform-state",
        "key": "vectora-inbox/dev/terraform.tfstate",
        "region": ws.env.aws_region,
        "encrypt": "true",
        "use_lockfile": "true",
    }


def test_apply_of_a_missing_saved_plan_names_the_command_that_makes_it(tmp_path, monkeypatch):
    root = copy_infrastructure(tmp_path)
    monkeypatch.setattr(
        terraform, "_ready", lambda env, printer, repo_root, endpoint_url: terraform.workspace(env, repo_root=root)
    )

    with pytest.raises(terraform.TerraformError, match="invoke tf.plan --env dev --out"):
        terraform.apply("dev", printer=lambda _: None, plan_file=tmp_path / "absent.tfplan")
