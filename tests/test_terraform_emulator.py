"""`terraform apply` of the local environment against the embedded AWS emulator, then checks of what it built.

One apply is shared by the module (about half a minute: the AWS provider's fixed wait after creating the failure
queue), followed at once by the second plan the first two tests read; run the suite with `--dist loadfile` to keep the
module on one xdist worker. Every test holds whatever order it runs in. The buckets' lifecycle rules, which the local
environment skips by default and whose creation costs a fixed minute, are applied and checked on their own in
test_terraform_lifecycle.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import alarm_timing
import pytest
from conftest import FakeContext, fresh_handler, use_lambda_environment
from emulator_stack import stack, tiny_package
from policy_documents import statement_set
from stack_template import stack_template

from toolkit import terraform
from toolkit.envfile import load_env
from toolkit.iam_policy import Request, denied, evaluate
from toolkit.iam_requests import AwsCall, recording, requests_for
from vectora_core import layout

pytestmark = pytest.mark.slow

ENV = load_env("local")
LAMBDA_ENV = ENV.lambda_environment
MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def _expected_statements(account: str) -> dict[str, dict]:
    eu_profile = f"arn:aws:bedrock:eu-west-3:{account}:inference-profile/eu.{MODEL}"
    us_profile = f"arn:aws:bedrock:us-east-1:{account}:inference-profile/us.{MODEL}"
    newsletters = f"arn:aws:s3:::{LAMBDA_ENV['NEWSLETTERS_BUCKET']}"
    config = f"arn:aws:s3:::{LAMBDA_ENV['CONFIG_BUCKET']}"
    data = f"arn:aws:s3:::{LAMBDA_ENV['DATA_BUCKET']}"
    log_group = f"arn:aws:logs:{ENV.aws_region}:{account}:log-group:{ENV.log_group}:*"
    CACHE, CHECKS, LOCKS = layout.CACHE_PREFIX, layout.CHECKS_PREFIX, layout.LOCKS_PREFIX

    def allow(actions, resources, condition=None):
        return {
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": sorted(resources),
            "Condition": condition or {},
        }

    return {
        "InvokeInferenceProfiles": allow(["bedrock:InvokeModel"], [eu_profile, us_profile]),
        "InvokeFoundationModelThroughEUProfile": allow(
            ["bedrock:InvokeModel"],
            [f"arn:aws:bedrock:*::foundation-model/{MODEL}"],  # any destination Region, only through the profile
            {"StringEquals": {"bedrock:InferenceProfileArn": [eu_profile]}},
        ),
        "InvokeFoundationModelThroughUSProfile": allow(
            ["bedrock:InvokeModel"],
            [f"arn:aws:bedrock:*::foundation-model/{MODEL}"],
            {"StringEquals": {"bedrock:InferenceProfileArn": [us_profile]}},
        ),
        "ReadWriteEditorialCache": allow(["s3:GetObject", "s3:PutObject"], [f"{newsletters}/{CACHE}*"]),
        "ReadCheckRunCache": allow(["s3:GetObject"], [f"{newsletters}/{CHECKS}{CACHE}*"]),
        "ListEditorialCache": allow(
            ["s3:ListBucket"], [newsletters], {"StringLike": {"s3:prefix": [f"{CACHE}*", f"{CHECKS}{CACHE}*"]}}
        ),
        "PublishNewsletters": allow(["s3:PutObject"], [f"{newsletters}/{layout.NEWSLETTERS_PREFIX}*"]),
        "WriteCheckRuns": allow(["s3:PutObject"], [f"{newsletters}/{CHECKS}*"]),
        "ListConfig": allow(["s3:ListBucket"], [config]),
        "ReadConfig": allow(["s3:GetObject"], [f"{config}/*"]),
        "ListData": allow(["s3:ListBucket"], [data]),
        "ReadWriteClientData": allow(
            ["s3:GetObject", "s3:PutObject"],
            [
                f"{data}/{prefix}*"
                for prefix in (layout.FEED_STATE_PREFIX, layout.ITEMS_PREFIX, layout.HISTORY_PREFIX, LOCKS, CHECKS)
            ],
        ),
        "ReadWriteSharedStore": allow(["s3:GetObject", "s3:PutObject"], [f"{data}/{layout.SHARED_PREFIX}*"]),
        "ReleaseWriteLeases": allow(["s3:DeleteObject"], [f"{data}/{LOCKS}*"]),
        "WriteOwnLogs": allow(["logs:CreateLogStream", "logs:PutLogEvents"], [log_group]),
        "KeepFailedInvocations": allow(
            ["sqs:SendMessage"], [f"arn:aws:sqs:{ENV.aws_region}:{account}:{ENV.function_name}-failed-invocations"]
        ),
    }


def test_second_plan_shows_no_changes(stack):
    code, lines = stack.second_plan

    assert code == 0, "\n".join(lines[-60:])


def test_plan_prints_no_provider_warnings(stack):
    _, lines = stack.second_plan

    assert [line for line in lines if "Warning:" in line] == []


def test_the_function_and_its_alias_are_created_while_the_failure_queue_settles(stack):
    # The provider holds a new queue for ~25 s; nothing but the alias's on-failure destination waits for it.
    def completed(address: str) -> int:
        return next(
            i for i, line in enumerate(stack.first_apply_log.splitlines()) if f"{address}: Creation complete" in line
        )

    queue = completed("aws_sqs_queue.failed_invocations")

    assert completed("aws_lambda_function.this") < queue
    assert completed("aws_lambda_alias.live") < queue
    assert completed("aws_lambda_function_event_invoke_config.live") > queue


def test_the_tree_links_the_provider_from_the_cache_rather_than_copying_it(stack):
    installed = list((stack.root / "terraform" / "envs" / "local" / ".terraform" / "providers").glob("*/*/*/*/*_*"))

    assert installed and all(path.is_symlink() for path in installed)


def test_the_outputs_read_from_the_local_state_are_what_terraform_output_prints(stack):
    import subprocess

    directory = stack.root / "terraform" / "envs" / "local"
    printed = subprocess.run(
        ["terraform", "output", "-json"], cwd=directory, capture_output=True, text=True, check=True
    )

    read = terraform.outputs("local", repo_root=stack.root, endpoint_url=stack.endpoint_url)

    assert read == json.loads(printed.stdout)["stack"]["value"]
    assert read["function_name"] == ENV.function_name


def test_function_environment_is_exactly_the_env_file(stack):
    config = stack.client("lambda").get_function_configuration(FunctionName=ENV.function_name)

    assert config["Environment"]["Variables"] == LAMBDA_ENV


def test_function_settings_come_from_the_env_file(stack):
    config = stack.client("lambda").get_function_configuration(FunctionName=ENV.function_name)

    assert (config["Runtime"], config["Handler"], config["Timeout"], config["MemorySize"]) == (
        ENV.runtime,
        ENV.handler,
        ENV.timeout,
        ENV.memory_size,
    )
    assert config["Architectures"] == [ENV.architecture]


def test_live_alias_points_at_a_published_version(stack):
    alias = stack.client("lambda").get_alias(FunctionName=ENV.function_name, Name=ENV.alias_name)

    assert alias["FunctionVersion"].isdigit()
    assert stack.outputs["alias_arn"] == alias["AliasArn"]


def test_execution_policy_has_exactly_the_intended_statements(stack):
    account = stack.client("sts").get_caller_identity()["Account"]
    document = stack.client("iam").get_role_policy(
        RoleName=stack.outputs["role_name"], PolicyName=stack.outputs["policy_name"]
    )["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)

    assert statement_set(document) == _expected_statements(account)


def test_log_group_keeps_logs_for_the_env_file_retention(stack):
    groups = stack.client("logs").describe_log_groups(logGroupNamePrefix=ENV.log_group)["logGroups"]

    assert [(group["logGroupName"], group["retentionInDays"]) for group in groups] == [
        (ENV.log_group, ENV.log_retention_days)
    ]


def test_bootstrap_package_is_stored_by_hash_with_its_code_sha256(stack):
    function = stack.client("lambda").get_function_configuration(FunctionName=ENV.function_name)
    key = stack.outputs["bootstrap_package_key"]

    head = stack.client("s3").head_object(Bucket=ENV.artifacts_bucket, Key=key)

    assert key == f"{ENV.function_name}/{stack.package_sha256}.zip"
    assert head["Metadata"]["code-sha256"] == function["CodeSha256"]


def test_schedule_sends_the_client_payload_to_the_fleets_run_queue(stack):
    name = stack.outputs["schedules"]["lai_weekly_v3"]

    schedule = stack.client("scheduler").get_schedule(Name=name, GroupName="default")

    assert schedule["Target"]["Arn"] == stack.outputs["fleet"]["queue_arn"]
    assert json.loads(schedule["Target"]["Input"]) == {
        "client_id": "lai_weekly_v3",
        "period_days": 7,
        "force_regenerate": False,
    }
    assert schedule["State"] == "ENABLED"


def test_schedule_runs_monday_six_in_the_morning_paris_time(stack):
    name = stack.outputs["schedules"]["lai_weekly_v3"]

    schedule = stack.client("scheduler").get_schedule(Name=name, GroupName="default")

    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 6 ? * MON *)",
        "Europe/Paris",
    )


def _inline_statements(iam, role: str) -> list[dict]:
    documents = [
        iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]
        for n in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    return [st for d in documents for st in (json.loads(d) if isinstance(d, str) else d)["Statement"]]


def test_every_schedule_sends_with_the_one_role_that_may_only_enqueue_runs(stack):
    iam = stack.client("iam")
    fleet = stack.outputs["fleet"]
    schedules = [
        stack.client("scheduler").get_schedule(Name=name, GroupName="default")
        for name in stack.outputs["schedules"].values()
    ]

    assert len(schedules) == 2 and {s["Target"]["RoleArn"] for s in schedules} == {fleet["scheduler_role_arn"]}
    assert [
        (st["Effect"], st["Action"], st["Resource"]) for st in _inline_statements(iam, fleet["scheduler_role_name"])
    ] == [("Allow", "sqs:SendMessage", fleet["queue_arn"])]


def test_the_second_client_runs_monday_seven_new_york_time(stack):
    name = stack.outputs["schedules"]["glp1_obesity_weekly"]

    schedule = stack.client("scheduler").get_schedule(Name=name, GroupName="default")

    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 7 ? * MON *)",
        "America/New_York",
    )
    assert json.loads(schedule["Target"]["Input"])["client_id"] == "glp1_obesity_weekly"


def test_the_run_queue_keeps_runs_that_failed_every_delivery_in_an_encrypted_dead_letter_queue(stack):
    sqs, fleet = stack.client("sqs"), stack.outputs["fleet"]
    runs = sqs.get_queue_attributes(QueueUrl=fleet["queue_url"], AttributeNames=["All"])["Attributes"]
    failed = sqs.get_queue_attributes(QueueUrl=fleet["dead_letter_queue_url"], AttributeNames=["All"])["Attributes"]

    assert json.loads(runs["RedrivePolicy"]) == {"deadLetterTargetArn": failed["QueueArn"], "maxReceiveCount": 3}
    assert runs["VisibilityTimeout"] == str(6 * ENV.timeout)  # Lambda's advice for SQS event sources
    assert runs["SqsManagedSseEnabled"] == failed["SqsManagedSseEnabled"] == "true"


def test_the_run_queue_feeds_live_one_run_at_a_time_with_a_bounded_concurrency(stack):
    mapping = stack.client("lambda").get_event_source_mapping(UUID=stack.outputs["fleet"]["event_source_mapping_uuid"])

    assert mapping["EventSourceArn"] == stack.outputs["fleet"]["queue_arn"]
    assert mapping["FunctionArn"].split(":")[6] == ENV.function_name  # the emulator names the alias's version
    assert (mapping["BatchSize"], mapping["ScalingConfig"]["MaximumConcurrency"]) == (1, 100)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["State"] == "Disabled"  # on the emulator the toolkit polls: it cannot run the function


def test_the_function_may_read_and_delete_only_from_its_run_queue(stack):
    iam = stack.client("iam")
    statements = [
        st for st in _inline_statements(iam, stack.outputs["role_name"]) if str(st["Action"]).count("sqs:Receive")
    ]

    assert [(st["Sid"], st["Resource"]) for st in statements] == [
        ("ConsumeFleetRuns", stack.outputs["fleet"]["queue_arn"])
    ]


def test_no_resource_policy_lets_anything_else_invoke_the_function(stack):
    lambda_client = stack.client("lambda")

    for qualifier in (None, ENV.alias_name):
        kwargs = {"FunctionName": ENV.function_name, **({"Qualifier": qualifier} if qualifier else {})}
        with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
            lambda_client.get_policy(**kwargs)


def test_failed_scheduled_runs_of_live_go_to_an_encrypted_queue(stack):
    config = stack.client("lambda").get_function_event_invoke_config(
        FunctionName=ENV.function_name, Qualifier=ENV.alias_name
    )
    sqs = stack.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=stack.outputs["failed_invocations_queue_url"], AttributeNames=["All"]
    )["Attributes"]

    assert config["DestinationConfig"]["OnFailure"]["Destination"] == attributes["QueueArn"]
    assert config["MaximumRetryAttempts"] == 1
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["MessageRetentionPeriod"] == str(14 * 24 * 3600)


def _alarms(stack) -> dict[str, dict]:
    found = stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=ENV.function_name)["MetricAlarms"]
    return {alarm["AlarmName"]: alarm for alarm in found}


def _dimensions(alarm: dict) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def test_alarms_exist_for_the_function_and_each_scheduled_client(stack):
    fn = ENV.function_name

    assert (
        sorted(_alarms(stack))
        == sorted(stack.outputs["alarm_names"])
        == sorted(
            [f"{fn}-errors", f"{fn}-throttles", f"{fn}-duration"]
            + [
                f"{fn}-{client}-{kind}"
                for client in ("glp1_obesity_weekly", "lai_weekly_v3")
                for kind in ("run-failed", "degraded", "sources-failed", "no-newsletter")
            ]
        )
    )


def test_every_alarm_notifies_the_one_topic(stack):
    topic = stack.outputs["alarm_topic_arn"]

    assert {name: alarm["AlarmActions"] for name, alarm in _alarms(stack).items()} == {
        name: [topic] for name in _alarms(stack)
    }
    assert stack.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic


def test_errors_and_throttles_watch_the_live_alias(stack):
    alarms = _alarms(stack)

    for kind in ("errors", "throttles"):
        alarm = alarms[f"{ENV.function_name}-{kind}"]
        assert _dimensions(alarm) == {"FunctionName": ENV.function_name, "Resource": f"{ENV.function_name}:live"}
        assert (alarm["Namespace"], alarm["Statistic"], alarm["Threshold"]) == ("AWS/Lambda", "Sum", 1.0)


def test_duration_alarm_is_at_eighty_percent_of_the_timeout(stack):
    alarm = _alarms(stack)[f"{ENV.function_name}-duration"]

    assert (alarm["MetricName"], alarm["Statistic"], alarm["ComparisonOperator"]) == (
        "Duration",
        "Maximum",
        "GreaterThanThreshold",
    )
    assert alarm["Threshold"] == ENV.timeout * 1000 * 0.8


def test_degraded_and_partial_runs_alarm_on_the_published_run_metrics(stack):
    alarms = _alarms(stack)
    expected = {"Environment": LAMBDA_ENV["ENV"], "ClientId": "lai_weekly_v3", "Mode": "publish"}

    for kind, metric in (("degraded", "Degraded"), ("sources-failed", "SourcesFailed")):
        alarm = alarms[f"{ENV.function_name}-lai_weekly_v3-{kind}"]
        assert (alarm["Namespace"], alarm["MetricName"], _dimensions(alarm)) == ("VectoraInbox", metric, expected)
        assert (alarm["Threshold"], alarm["TreatMissingData"]) == (1.0, "notBreaching")


def test_a_publishing_run_that_ends_in_an_error_alarms_within_the_hour(stack):
    alarm = _alarms(stack)[f"{ENV.function_name}-lai_weekly_v3-run-failed"]

    assert (alarm["MetricName"], alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "RunSucceeded",
        "Minimum",
        "LessThanThreshold",
        1.0,
    )
    assert (alarm["Period"], alarm["TreatMissingData"], _dimensions(alarm)["Mode"]) == (3600, "notBreaching", "publish")


def _no_edition(stack):
    """The applied no-newsletter alarm, the client's schedule and its edition-due schedule, as the emulator holds them."""
    alarm = _alarms(stack)[f"{ENV.function_name}-lai_weekly_v3-no-newsletter"]
    scheduler = stack.client("scheduler")
    run = scheduler.get_schedule(Name=f"{ENV.function_name}-lai-weekly-v3")
    due = scheduler.get_schedule(Name=f"{ENV.function_name}-lai-weekly-v3-edition-due")
    return alarm, run, due


def test_the_edition_due_mark_is_put_by_the_scheduler_itself_in_the_run_metrics(stack):
    alarm, run, due = _no_edition(stack)
    due_metric, published_metric, dimensions = alarm_timing.check_alarm_shape(alarm)
    target = due["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:cloudwatch:putMetricData"
    put = json.loads(target["Input"])
    assert put["Namespace"] == "VectoraInbox" and [m["MetricName"] for m in put["MetricData"]] == [due_metric]
    assert {d["Name"]: d["Value"] for d in put["MetricData"][0]["Dimensions"]} == dimensions
    assert published_metric == "NewsletterPublished" and dimensions["Mode"] == "publish"
    assert (due["ScheduleExpression"], due["ScheduleExpressionTimezone"]) == ("cron(0 10 ? * MON *)", "Europe/Paris")
    assert run["ScheduleExpressionTimezone"] == due["ScheduleExpressionTimezone"]


def _weeks(stack, start: datetime, weeks: int, edition_delay):
    """(due marks, editions, run times) over `weeks` from `start`: each run's edition `edition_delay(i)` after it
    (None: no edition that week)."""
    _alarm, run, due = _no_edition(stack)
    end = start + timedelta(weeks=weeks)
    runs = alarm_timing.cron_times(run["ScheduleExpression"], run["ScheduleExpressionTimezone"], start, end)
    dues = alarm_timing.cron_times(due["ScheduleExpression"], due["ScheduleExpressionTimezone"], start, end)
    editions = [t + edition_delay(i) for i, t in enumerate(runs) if edition_delay(i) is not None]
    return dues, editions, runs, end


def test_weekly_editions_landing_at_varying_times_across_daylight_saving_never_alarm(stack):
    alarm_timing.check_alarm_shape(_no_edition(stack)[0])
    start = datetime(2027, 3, 1, tzinfo=UTC)  # Paris moves to summer time on 28 March, back on 31 October
    delays = [timedelta(minutes=m) for m in (2, 40, 5, 95, 1, 30, 170, 3, 60, 12)]
    dues, editions, runs, end = _weeks(stack, start, 10, lambda i: delays[i % len(delays)])
    assert {t.hour for t in runs} == {4, 5}  # 06:00 in Paris is 05:00 UTC in winter, 04:00 in summer
    assert alarm_timing.transitions(dues, editions, start, end) == []


def test_a_new_environment_is_quiet_until_its_first_edition_is_due(stack):
    start = datetime(2027, 1, 6, 12, tzinfo=UTC)  # created on a Wednesday, first run the next Monday
    dues, editions, _runs, end = _weeks(stack, start, 2, lambda i: timedelta(minutes=20))
    assert alarm_timing.transitions(dues, editions, start, end) == []


def test_a_missing_edition_alarms_once_at_its_deadline_and_clears_the_next_day(stack):
    start = datetime(2027, 1, 4, tzinfo=UTC)
    dues, editions, runs, end = _weeks(stack, start, 4, lambda i: None if i == 1 else timedelta(minutes=15))
    missed = runs[1].astimezone(ZoneInfo("Europe/Paris"))
    changes = alarm_timing.transitions(dues, editions, start, end)
    assert [state for _t, state in changes] == ["ALARM", "OK"]
    fired, cleared = changes[0][0].astimezone(ZoneInfo("Europe/Paris")), changes[1][0]
    assert (fired.date(), fired.hour, fired.minute) == (missed.date(), 10, 0)  # the deadline: run time + 4 hours
    assert cleared == datetime.combine(changes[0][0].date() + timedelta(days=1), datetime.min.time(), UTC)


def test_an_edition_after_its_deadline_clears_the_alarm_when_it_lands(stack):
    start = datetime(2027, 1, 4, tzinfo=UTC)
    dues, editions, runs, end = _weeks(
        stack, start, 2, lambda i: timedelta(hours=5, minutes=30) if i == 0 else timedelta(0)
    )
    changes = alarm_timing.transitions(dues, editions, start, end)
    assert [state for _t, state in changes] == ["ALARM", "OK"]
    assert changes[1][0] - runs[0] <= timedelta(hours=5, minutes=35)


def test_a_saved_plan_is_applied_as_planned_with_its_summary(stack, tmp_path):
    summary = tmp_path / "summary.md"
    plan_file = tmp_path / "local.tfplan"

    stack.run(terraform.plan, package_path=stack.package_path, out=plan_file, summary=summary)
    stack.run(terraform.apply, package_path=stack.package_path, plan_file=plan_file)

    assert plan_file.is_file()
    assert "### terraform plan: `local`" in summary.read_text() and "**no changes**" in summary.read_text()


def test_buckets_block_public_access_and_encrypt(stack):
    s3 = stack.client("s3")

    for name in stack.outputs["bucket_names"].values():
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        assert all(block.values()), name
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", name


def test_later_apply_keeps_an_alias_moved_by_the_toolkit(stack):
    lambda_client = stack.client("lambda")
    published = lambda_client.publish_version(FunctionName=ENV.function_name)["Version"]
    lambda_client.update_alias(FunctionName=ENV.function_name, Name=ENV.alias_name, FunctionVersion=published)

    stack.run(terraform.apply, package_path=stack.package_path)

    alias = lambda_client.get_alias(FunctionName=ENV.function_name, Name=ENV.alias_name)
    assert alias["FunctionVersion"] == published


def test_a_new_package_is_left_to_the_toolkit(stack, tmp_path):
    newer = tiny_package(tmp_path, status_code=201)

    assert newer.sha256 != stack.package_sha256
    assert stack.run(terraform.plan, detailed_exitcode=True, package_path=newer.path) == 0


def test_an_alarm_email_in_the_env_file_is_subscribed_to_the_topic(stack):
    env_file = stack.root / "env" / "local.json"
    original = env_file.read_text()
    env_file.write_text(json.dumps({**json.loads(original), "alarm_email": "ops@example.com"}))
    try:
        stack.run(terraform.apply, package_path=stack.package_path)
        subscriptions = stack.client("sns").list_subscriptions_by_topic(TopicArn=stack.outputs["alarm_topic_arn"])[
            "Subscriptions"
        ]
    finally:
        env_file.write_text(original)
        stack.run(terraform.apply, package_path=stack.package_path)

    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "ops@example.com")]
    assert (
        stack.client("sns").list_subscriptions_by_topic(TopicArn=stack.outputs["alarm_topic_arn"])["Subscriptions"]
        == []
    )


# --- the execution policy is sufficient: every call the engine makes is allowed -------------------------
# The same evaluator as every other role's check (tests/test_role_policies.py): toolkit.iam_policy.


@pytest.fixture(scope="module")
def engine_calls(stack):
    """Every AWS call the engine makes in a cache-miss run, a cache-hit run and a forced run on the stack's
    buckets (Bedrock through the stand-in), plus the log writes the Lambda service makes for the function."""
    from toolkit.config_sync import sync_config
    from toolkit.local.bedrock_standin import BedrockStandIn
    from toolkit.local.sample_feeds import SampleFeedServer

    with pytest.MonkeyPatch.context() as patch, SampleFeedServer() as feeds, BedrockStandIn() as standin:
        use_lambda_environment(
            patch,
            LLM_BACKEND="bedrock",
            AWS_ENDPOINT_URL_S3=stack.endpoint_url,
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME=standin.url,
        )
        sync_config(stack.client("s3"), LAMBDA_ENV["CONFIG_BUCKET"], feeds.base_url)  # not the engine's: unrecorded
        payload = {"client_id": "lai_weekly_v3", "period_days": 7}
        with recording() as calls, fresh_handler() as handler:
            results = [
                handler.lambda_handler(dict(payload, force_regenerate=force), FakeContext())
                for force in (False, False, True)
            ]
    assert [(r["status"], r["cache"]) for r in results] == [("ok", "miss"), ("ok", "hit"), ("ok", "bypass")]
    stream = "2026/01/01/[$LATEST]0123456789abcdef"
    for operation in ("CreateLogStream", "PutLogEvents"):
        calls.append(
            AwsCall("logs", operation, {"logGroupName": ENV.log_group, "logStreamName": stream}, ENV.aws_region)
        )
    return list(calls)


def _requests(calls: list[AwsCall], account: str) -> list[Request]:
    return requests_for(calls, account)


def _policy(stack) -> list[dict]:
    document = stack.client("iam").get_role_policy(
        RoleName=stack.outputs["role_name"], PolicyName=stack.outputs["policy_name"]
    )["PolicyDocument"]
    return (json.loads(document) if isinstance(document, str) else document)["Statement"]


def test_execution_policy_allows_every_call_the_engine_makes(stack, engine_calls):
    account = stack.client("sts").get_caller_identity()["Account"]
    requests = _requests(engine_calls, account)
    assert {r.action for r in requests} >= {
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "s3:DeleteObject",
        "bedrock:InvokeModel",
    }
    assert denied(_policy(stack), requests) == []


def test_each_statement_the_engine_relies_on_is_needed(stack, engine_calls):
    # Shows the check above is not vacuous: without any one statement it relies on, some call is denied.
    account = stack.client("sts").get_caller_identity()["Account"]
    statements = _policy(stack)
    requests = _requests(engine_calls, account)
    used = {evaluate(statements, r).statement for r in requests}
    assert {
        "ReadConfig",
        "ReadWriteClientData",
        "ReadWriteSharedStore",
        "ReleaseWriteLeases",
        "PublishNewsletters",
        "ReadWriteEditorialCache",
        "ListEditorialCache",
        "InvokeInferenceProfiles",
        "WriteOwnLogs",
    } <= used
    for sid in used:
        remaining = [s for s in statements if s.get("Sid") != sid]
        assert denied(remaining, requests), sid
