"""When the no-newsletter alarm fires: CloudWatch's evaluation of that alarm, and EventBridge Scheduler's cron,
replayed over weeks of simulated editions (the emulator stores alarms and schedules but evaluates neither).

Only what the alarm uses is modelled, and the test checks the applied alarm is exactly that: one metric-math
expression over two daily Sum metrics, one datapoint to alarm, missing data not breaching. CloudWatch aggregates a
metric into periods aligned on the period (a daily period is a UTC day) and an alarm reads the newest period; a
period whose expression has no value is missing data
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EXPRESSION = "IF(due > 0 AND FILL(published, 0) == 0, 1, 0)"
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}  # Scheduler's cron: 1 = Sunday


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    if text in ("*", "?"):
        return set(range(low, high + 1))
    values: set[int] = set()
    for part in text.split(","):
        bounds = [int(names[p]) if names and p in names else int(p) for p in part.split("-")]
        values.update(range(bounds[0], bounds[-1] + 1))
    return values


def cron_times(expression: str, timezone: str, start: datetime, end: datetime) -> list[datetime]:
    """UTC times in [start, end) when `cron(minutes hours day-of-month month day-of-week year)` fires, read in
    `timezone` as EventBridge Scheduler reads it."""
    fields = re.fullmatch(r"cron\((.+)\)", expression).group(1).split()
    minutes, hours = _field(fields[0], 0, 59), _field(fields[1], 0, 23)
    month_days, months, week_days = _field(fields[2], 1, 31), _field(fields[3], 1, 12), _field(fields[4], 1, 7, _DAYS)
    zone = ZoneInfo(timezone)
    found = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    while datetime.combine(day, datetime.min.time(), zone) < end:
        scheduler_weekday = (day.isoweekday() % 7) + 1  # Monday → 2
        if day.day in month_days and day.month in months and scheduler_weekday in week_days:
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)
                    if start <= moment < end:
                        found.append(moment)
        day += timedelta(days=1)
    return found


def check_alarm_shape(alarm: dict) -> tuple[str, str, dict]:
    """The alarm as CloudWatch describes it is the one replayed here; returns (due metric, published metric,
    dimensions)."""
    assert (alarm["EvaluationPeriods"], alarm.get("DatapointsToAlarm", 1)) == (1, 1)
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["TreatMissingData"]) == (
        "GreaterThanOrEqualToThreshold",
        1.0,
        "notBreaching",
    )
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    assert queries["missing"]["Expression"] == EXPRESSION and queries["missing"].get("ReturnData", True)
    stats = {qid: queries[qid]["MetricStat"] for qid in ("due", "published")}
    for stat in stats.values():
        assert (stat["Period"], stat["Stat"]) == (86400, "Sum")
    dimensions = [{d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]} for stat in stats.values()]
    assert dimensions[0] == dimensions[1]
    return stats["due"]["Metric"]["MetricName"], stats["published"]["Metric"]["MetricName"], dimensions[0]


def transitions(
    due: list[datetime],
    published: list[datetime],
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(minutes=5),
) -> list[tuple[datetime, str]]:
    """(time, new state) each time the alarm changes state between `start` and `end`, evaluated every `step`.

    Each datapoint lands in the UTC day of its timestamp; at each evaluation the newest period (today, UTC) holds
    what has arrived so far. `missing` has a value only when `due` has one (FILL gives `published` a 0)."""
    state = "OK"  # what CloudWatch sets once it has evaluated a new alarm with no data and notBreaching
    changes: list[tuple[datetime, str]] = []
    moment = start
    while moment < end:
        day: date = moment.date()
        due_today = sum(1 for t in due if t.date() == day and t <= moment)
        published_today = sum(1 for t in published if t.date() == day and t <= moment)
        value = None if due_today == 0 else (1 if published_today == 0 else 0)
        new_state = "ALARM" if value is not None and value >= 1 else "OK"
        if new_state != state:
            changes.append((moment, new_state))
            state = new_state
        moment += step
    return changes
