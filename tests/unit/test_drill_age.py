"""The days since the last drill that passed: drill_age.days_since_last_drill in moto (the drills' metric read
back, none on record, another source region's drill not counted), and the reconciler's DaysSinceLastDrill
(its EMF line, "no drill on record", a failed read that fails nothing, DRILL_MAX_AGE_DAYS)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import reconcile_snapshots
from botocore.stub import Stubber

from snapshot_copy import drill_age, metrics
from snapshot_copy.errors import ConfigurationError
from snapshot_copy.reconcile import FUNCTION_NAME, Clients, reconcile
from snapshot_copy.reconcile_config import ReconcileConfig
from snapshot_copy.runtime import Runtime
from tests.iam.recording import calls_of
from tests.unit.harness import DESTINATION_REGION, SOURCE_REGION, LambdaContext, Queues, metric_records

NAMESPACE = "RdsSnapshotCopy"
FUNCTION = "rds-snapshot-copy-reconcile"


@pytest.fixture
def drill_env(monkeypatch: pytest.MonkeyPatch, queues: Queues) -> dict[str, str]:
    """The reconciler's contract variables, with the drill check on (90 days)."""
    env = {
        "SOURCE_REGION": SOURCE_REGION,
        "DESTINATION_REGION": DESTINATION_REGION,
        "COPY_QUEUE_URL": queues.url,
        "DRILL_MAX_AGE_DAYS": "90",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def cloudwatch(aws: None) -> Any:
    """The destination region's CloudWatch, where `drill --publish-metric` puts LastDrillTimestamp."""
    return boto3.client("cloudwatch", region_name=DESTINATION_REGION)


def publish_drill(
    cloudwatch: Any, drilled_at: datetime, source_region: str = SOURCE_REGION, namespace: str = NAMESPACE
) -> None:
    """What `drill --publish-metric` puts after a drill that passed (its datapoint at the drill's time)."""
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metrics.LAST_DRILL_TIMESTAMP,
                "Dimensions": [{"Name": metrics.DRILL_SOURCE_REGION_DIMENSION, "Value": source_region}],
                "Timestamp": drilled_at,
                "Value": drilled_at.timestamp(),
                "Unit": "Seconds",
            }
        ],
    )


def days(cloudwatch: Any, now: datetime, source_region: str = SOURCE_REGION) -> float | None:
    with calls_of("reconciler"):
        return drill_age.days_since_last_drill(cloudwatch, NAMESPACE, source_region, now)


def run() -> dict[str, Any]:
    with calls_of("reconciler"):
        return reconcile_snapshots.lambda_handler({}, LambdaContext(function_name=FUNCTION))


def main_record(capsys: pytest.CaptureFixture[str]) -> Any:
    (record,) = [r for r in metric_records(capsys) if metrics.SOURCES_PAST_RPO in vars(r)]
    return record


def test_the_newest_drill_is_read_back_in_days(cloudwatch: Any) -> None:
    now = datetime.now(UTC)
    publish_drill(cloudwatch, now - timedelta(days=100, hours=12))
    publish_drill(cloudwatch, now - timedelta(days=40, hours=6))
    publish_drill(cloudwatch, now - timedelta(days=200))
    found = days(cloudwatch, now)
    assert found is not None
    assert found == pytest.approx(40.25, abs=0.001)


def test_a_drill_within_the_same_day_counts(cloudwatch: Any) -> None:
    now = datetime.now(UTC)
    publish_drill(cloudwatch, now - timedelta(hours=6))
    assert days(cloudwatch, now) == pytest.approx(0.25, abs=0.001)


def test_none_on_record(cloudwatch: Any) -> None:
    assert days(cloudwatch, datetime.now(UTC)) is None


def test_another_source_regions_drill_is_not_counted(cloudwatch: Any) -> None:
    # (moto 5.2.5 matches a query with dimensions by name and dimensions only, not namespace: the namespace
    # sent is proven by the exact request in test_one_get_metric_data_call_as_the_alarm_needs_it.)
    now = datetime.now(UTC)
    publish_drill(cloudwatch, now - timedelta(days=1), source_region="eu-west-1")
    assert days(cloudwatch, now) is None
    assert days(cloudwatch, now, source_region="eu-west-1") == pytest.approx(1, abs=0.001)


def test_a_drill_older_than_cloudwatch_keeps_is_not_counted(cloudwatch: Any) -> None:
    now = datetime.now(UTC)
    publish_drill(cloudwatch, now - timedelta(days=drill_age.LOOKBACK_DAYS + 2))
    assert days(cloudwatch, now) is None


def test_one_get_metric_data_call_as_the_alarm_needs_it(cloudwatch: Any) -> None:
    now = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    with Stubber(cloudwatch) as stub:
        stub.add_response(
            "get_metric_data",
            {"MetricDataResults": [{"Id": "last_drill", "Values": [now.timestamp() - 3 * 86400], "Timestamps": [now]}]},
            {
                "MetricDataQueries": [
                    {
                        "Id": "last_drill",
                        "MetricStat": {
                            "Metric": {
                                "Namespace": NAMESPACE,
                                "MetricName": "LastDrillTimestamp",
                                "Dimensions": [{"Name": "SourceRegion", "Value": SOURCE_REGION}],
                            },
                            "Period": 86400,
                            "Stat": "Maximum",
                        },
                        "ReturnData": True,
                    }
                ],
                "StartTime": now - timedelta(days=455),
                "EndTime": now,
            },
        )
        assert drill_age.days_since_last_drill(cloudwatch, NAMESPACE, SOURCE_REGION, now) == 3.0
        stub.assert_no_pending_responses()


def test_the_reconciler_publishes_the_days_since_the_last_drill(
    drill_env: dict, cloudwatch: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    publish_drill(cloudwatch, datetime.now(UTC) - timedelta(days=100))
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        result = run()
    record = main_record(capsys)
    assert 99.99 < record.DaysSinceLastDrill < 100.01
    assert record.FunctionName == FUNCTION
    (directive,) = record._aws["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Dimensions"] == [["FunctionName"]]
    assert {"Name": "DaysSinceLastDrill", "Unit": "None"} in directive["Metrics"]
    assert result["metrics"][metrics.DAYS_SINCE_LAST_DRILL] == record.DaysSinceLastDrill
    assert any("more than drill_max_age_days (90)" in r.getMessage() for r in caplog.records)


def test_a_recent_drill_is_no_warning(
    drill_env: dict, cloudwatch: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    publish_drill(cloudwatch, datetime.now(UTC) - timedelta(days=10))
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        run()
    assert 9.99 < main_record(capsys).DaysSinceLastDrill < 10.01
    assert not [r for r in caplog.records if "drill" in r.getMessage()]


def test_no_drill_on_record_breaches_any_limit(
    drill_env: dict, cloudwatch: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    publish_drill(cloudwatch, datetime.now(UTC) - timedelta(days=1), source_region="eu-west-1")
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        result = run()
    assert main_record(capsys).DaysSinceLastDrill == drill_age.NO_DRILL_DAYS == 9999
    assert drill_age.NO_DRILL_DAYS > drill_age.LOOKBACK_DAYS  # above every limit the module accepts
    assert result["metrics"][metrics.DAYS_SINCE_LAST_DRILL] == 9999
    (warning,) = [r for r in caplog.records if "no drill on record" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert SOURCE_REGION in warning.getMessage() and DESTINATION_REGION in warning.getMessage()


def test_without_drill_max_age_days_no_check_no_client_no_metric(
    drill_env: dict, monkeypatch: pytest.MonkeyPatch, cloudwatch: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DRILL_MAX_AGE_DAYS")
    publish_drill(cloudwatch, datetime.now(UTC) - timedelta(days=100))
    capsys.readouterr()
    result = run()
    assert "DaysSinceLastDrill" not in vars(main_record(capsys))
    assert metrics.DAYS_SINCE_LAST_DRILL not in result["metrics"]
    clients = reconcile_snapshots.clients_for(SOURCE_REGION, DESTINATION_REGION, False, False)
    assert clients.cloudwatch is None
    assert reconcile_snapshots.clients_for.cache_info().currsize == 1  # the handler's own, not a second


def test_the_handlers_cloudwatch_client_is_the_destinations(drill_env: dict) -> None:
    run()
    clients = reconcile_snapshots.clients_for(SOURCE_REGION, DESTINATION_REGION, False, True)
    assert reconcile_snapshots.clients_for.cache_info().hits == 1  # the one the handler made
    assert clients.cloudwatch.meta.region_name == DESTINATION_REGION
    assert clients.cloudwatch.meta.service_model.service_name == "cloudwatch"


@pytest.mark.parametrize("error", ["AccessDenied", "Throttling"])
def test_a_failed_read_is_logged_and_fails_nothing(
    drill_env: dict,
    cloudwatch: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    error: str,
) -> None:
    config = ReconcileConfig.from_env()
    clients = Clients(
        boto3.client("rds", region_name=SOURCE_REGION),
        boto3.client("rds", region_name=DESTINATION_REGION),
        boto3.client("sqs", region_name=SOURCE_REGION),
        cloudwatch=cloudwatch,
    )
    capsys.readouterr()
    with Stubber(cloudwatch) as stub, caplog.at_level(logging.ERROR):
        stub.add_client_error("get_metric_data", error)
        with calls_of("reconciler"):
            result = reconcile(config, clients, datetime.now(UTC), runtime=Runtime(function_name=FUNCTION))
    assert metrics.DAYS_SINCE_LAST_DRILL not in result["metrics"]
    record = main_record(capsys)
    assert "DaysSinceLastDrill" not in vars(record) and record.SourcesReconciled == 0
    (logged,) = [r for r in caplog.records if "LastDrillTimestamp" in r.getMessage()]
    assert logged.levelno == logging.ERROR and logged.code == error  # type: ignore[attr-defined]


def test_no_read_when_the_time_is_short(drill_env: dict, cloudwatch: Any, caplog: pytest.LogCaptureFixture) -> None:
    clients = Clients(
        boto3.client("rds", region_name=SOURCE_REGION),
        boto3.client("rds", region_name=DESTINATION_REGION),
        boto3.client("sqs", region_name=SOURCE_REGION),
        cloudwatch=cloudwatch,
    )
    left = iter([600.0] * 6)  # one check before each listing's first page, then short
    with Stubber(cloudwatch), caplog.at_level(logging.ERROR):  # a call would fail (and be logged): none is made
        runtime = Runtime(function_name=FUNCTION_NAME, seconds_left=lambda: next(left, 5.0))
        result = reconcile(ReconcileConfig.from_env(), clients, datetime.now(UTC), runtime=runtime)
    assert metrics.DAYS_SINCE_LAST_DRILL not in result["metrics"]
    assert [r.getMessage() for r in caplog.records] == [
        "no time left to read the last drill's time; DaysSinceLastDrill not published this run"
    ]


def test_dry_runs_and_the_commands_without_a_client_read_nothing(drill_env: dict, cloudwatch: Any) -> None:
    clients = Clients(
        boto3.client("rds", region_name=SOURCE_REGION),
        boto3.client("rds", region_name=DESTINATION_REGION),
        boto3.client("sqs", region_name=SOURCE_REGION),
    )
    result = reconcile(ReconcileConfig.from_env(), clients, datetime.now(UTC), dry_run=True, origin="backfill")
    assert metrics.DAYS_SINCE_LAST_DRILL not in result["metrics"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("90", 90), ("455", 455), ("", None), (" ", None)],
)
def test_drill_max_age_days(drill_env: dict, monkeypatch: pytest.MonkeyPatch, value: str, expected: Any) -> None:
    monkeypatch.setenv("DRILL_MAX_AGE_DAYS", value)
    assert ReconcileConfig.from_env().drill_max_age_days == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "DRILL_MAX_AGE_DAYS must be at least 1, got 0"),
        ("456", "DRILL_MAX_AGE_DAYS must be at most 455 .*, got 456"),
        ("2.5", "DRILL_MAX_AGE_DAYS must be a whole number, got '2.5'"),
        ("ninety", "DRILL_MAX_AGE_DAYS must be a whole number, got 'ninety'"),
    ],
)
def test_drill_max_age_days_errors_name_the_variable(
    drill_env: dict, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("DRILL_MAX_AGE_DAYS", value)
    with pytest.raises(ConfigurationError, match=message):
        ReconcileConfig.from_env()
