"""Alarm evaluation for the embedded CloudWatch, which stores metric alarms but never evaluates them.

On AWS an alarm on ``AWS/KinesisAnalytics`` ``downtime`` changes state by itself. moto keeps alarms
and metric data but leaves every alarm in its first state, so with the embedded endpoint msf-local
evaluates the alarms on the metrics it publishes, the way CloudWatch does: the statistic over each
of the last ``EvaluationPeriods`` periods, compared with the threshold; ALARM when at least
``DatapointsToAlarm`` of them breach; missing periods treated per ``TreatMissingData`` (default
``missing``: no data at all → INSUFFICIENT_DATA). A changed state is set with SetAlarmState.
Alarms on metric math, percentiles or anomaly bands are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

NAMESPACE = "AWS/KinesisAnalytics"

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


def _alarms(client: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page = client.describe_alarms(AlarmTypes=["MetricAlarm"], **({"NextToken": token} if token else {}))
        yield from page.get("MetricAlarms", [])
        token = page.get("NextToken")
        if not token:
            return


def _evaluable(alarm: dict[str, Any]) -> bool:
    return (
        alarm.get("Namespace") == NAMESPACE
        and bool(alarm.get("MetricName"))
        and bool(alarm.get("Statistic"))
        and alarm.get("ComparisonOperator") in _COMPARE
        and alarm.get("Threshold") is not None
    )


def new_state(alarm: dict[str, Any], values: list[float | None]) -> str | None:
    """The state ``alarm`` should be in given the statistic of each evaluated period (None = no data);
    None to keep the current state (``TreatMissingData: ignore`` with no data)."""
    compare = _COMPARE[alarm["ComparisonOperator"]]
    threshold = float(alarm["Threshold"])
    treat_missing = alarm.get("TreatMissingData", "missing")
    needed = int(alarm.get("DatapointsToAlarm") or alarm.get("EvaluationPeriods") or 1)
    present = [value for value in values if value is not None]
    missing = len(values) - len(present)
    breaching = sum(1 for value in present if compare(value, threshold))
    if treat_missing == "breaching":
        breaching += missing
    if breaching >= needed:
        return "ALARM"
    if not present and treat_missing in ("missing", "ignore"):
        return "INSUFFICIENT_DATA" if treat_missing == "missing" else None
    return "OK"


def evaluate_alarms(client: Any, now: datetime) -> dict[str, str]:
    """Evaluate every ``AWS/KinesisAnalytics`` metric alarm of the client's account and Region at ``now``;
    returns the alarms whose state changed, with their new state."""
    changed: dict[str, str] = {}
    for alarm in _alarms(client):
        if not _evaluable(alarm):
            continue
        period = int(alarm.get("Period") or 60)
        periods = int(alarm.get("EvaluationPeriods") or 1)
        end = now.replace(microsecond=0)
        start = end - timedelta(seconds=period * periods)
        points = client.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=alarm["MetricName"],
            Dimensions=alarm.get("Dimensions", []),
            StartTime=start,
            EndTime=end,
            Period=period,
            Statistics=[alarm["Statistic"]],
        )["Datapoints"]
        by_period: dict[int, float] = {}
        for point in points:
            index = int((point["Timestamp"] - start).total_seconds() // period)
            if 0 <= index < periods:
                by_period[index] = float(point[alarm["Statistic"]])
        state = new_state(alarm, [by_period.get(index) for index in range(periods)])
        if state is None or state == alarm.get("StateValue"):
            continue
        client.set_alarm_state(
            AlarmName=alarm["AlarmName"],
            StateValue=state,
            StateReason=f"Threshold Crossed: {alarm['MetricName']} {alarm['Statistic']} over the last "
            f"{periods} period(s) of {period} s compared {alarm['ComparisonOperator']} {alarm['Threshold']}",
        )
        changed[alarm["AlarmName"]] = state
    return changed
