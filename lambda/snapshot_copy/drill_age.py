"""How long since the last restore drill that passed: LastDrillTimestamp read back from CloudWatch.

`rds-snapshot-copy drill --publish-metric` puts LastDrillTimestamp (epoch seconds) in the destination region,
dimension SourceRegion, perhaps once a quarter. A CloudWatch alarm looks back at most seven days, so it cannot
say "no drill in 90 days" from that metric itself; the reconciler reads it back here on each run and publishes
the days since (DaysSinceLastDrill), which an alarm can compare with a limit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .metrics import DAYS_SINCE_LAST_DRILL, DRILL_SOURCE_REGION_DIMENSION, LAST_DRILL_TIMESTAMP

logger = logging.getLogger(__name__)

# CloudWatch keeps datapoints of one hour and longer for 455 days: nothing older can be on record.
LOOKBACK_DAYS = 455
SECONDS_PER_DAY = 86400
PERIOD_SECONDS = SECONDS_PER_DAY  # one datapoint a day: its Maximum is that day's last drill
# Published when no drill is on record: more than any limit drill_max_age_days accepts (1 to 455), so the
# alarm fires.
NO_DRILL_DAYS = 9999.0


def days_since_last_drill(cloudwatch: Any, namespace: str, source_region: str, now: datetime) -> float | None:
    """Days from the newest LastDrillTimestamp of `source_region`'s drills to `now` (timezone-aware); None when
    none is on record in the last LOOKBACK_DAYS. One GetMetricData call: at most 455 daily datapoints, far under
    its 100,800 a call, so there is never a second page. A drill's time ahead of `now` (clock skew) counts as 0.

    Botocore's errors are the caller's to handle."""
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "last_drill",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": LAST_DRILL_TIMESTAMP,
                        "Dimensions": [{"Name": DRILL_SOURCE_REGION_DIMENSION, "Value": source_region}],
                    },
                    "Period": PERIOD_SECONDS,
                    "Stat": "Maximum",
                },
                "ReturnData": True,
            }
        ],
        StartTime=now - timedelta(days=LOOKBACK_DAYS),
        EndTime=now,
    )
    values = [value for result in answer.get("MetricDataResults", []) for value in result.get("Values", [])]
    if not values:
        return None
    return max(0.0, (now.timestamp() - max(values)) / SECONDS_PER_DAY)


def published(
    cloudwatch: Any, namespace: str, source_region: str, destination_region: str, limit: int, now: datetime
) -> float | None:
    """The value the reconciler publishes as DaysSinceLastDrill: days_since_last_drill rounded, NO_DRILL_DAYS
    when no drill is on record, None when it could not be read. Each case is logged (a drill older than
    `limit`, none on record, an error); an error fails nothing: the reconciliation itself stands, and the
    drill_age alarm treats the missing datapoint as not breaching."""
    try:
        days = days_since_last_drill(cloudwatch, namespace, source_region, now)
    except (ClientError, BotoCoreError) as exc:
        code = (
            str(exc.response.get("Error", {}).get("Code", "Unknown"))
            if isinstance(exc, ClientError)
            else type(exc).__name__
        )
        logger.error(
            f"could not read {LAST_DRILL_TIMESTAMP} in {destination_region}: {exc}; "
            f"{DAYS_SINCE_LAST_DRILL} not published this run",
            extra={"code": code},
        )
        return None
    if days is None:
        logger.warning(
            f"no drill on record: no {LAST_DRILL_TIMESTAMP} of {source_region} in {destination_region} "
            f"(namespace {namespace}) in the last {LOOKBACK_DAYS} days; run `rds-snapshot-copy drill --publish-metric`",
            extra={"drill_max_age_days": limit},
        )
        return NO_DRILL_DAYS
    if days > limit:
        logger.warning(
            f"the last drill that passed is {days:.1f} days old, more than drill_max_age_days ({limit})",
            extra={"days_since_last_drill": round(days, 3), "drill_max_age_days": limit},
        )
    return round(days, 3)
