"""The function's settings from the environment: required, optional, invalid."""

from __future__ import annotations

import pytest

from snapshot_copy.copy_config import (
    DEFAULT_MAX_CLUSTER_COPIES_IN_PROGRESS,
    DEFAULT_MAX_DB_COPIES_IN_PROGRESS,
    SQS_MAX_VISIBILITY_SECONDS,
)
from snapshot_copy.copy_config import (
    CopyConfig as Config,
)
from snapshot_copy.errors import ConfigurationError, SnapshotCopyError
from snapshot_copy.events import KNOWN_EVENTS

from .harness import invoke, load_event

KEY = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REQUIRED = {"SOURCE_REGION": "us-east-1", "DESTINATION_REGION": "us-west-2", "DESTINATION_REGION_KMS_KEY_ID": KEY}


def config(**extra: str) -> Config:
    return Config.from_env({**REQUIRED, **extra})


def test_defaults() -> None:
    c = config()
    assert (c.source_region, c.destination_region, c.kms_key_id) == ("us-east-1", "us-west-2", KEY)
    assert c.enabled_event_ids == frozenset(KNOWN_EVENTS)
    assert c.option_group_name is None
    assert c.dead_letter_queue_url is None
    assert c.max_db_copies_in_progress == DEFAULT_MAX_DB_COPIES_IN_PROGRESS == 20
    assert c.max_cluster_copies_in_progress == DEFAULT_MAX_CLUSTER_COPIES_IN_PROGRESS == 5
    assert c.max_receive_count >= 1 and c.max_wait_seconds >= 1 and c.max_error_tries >= 1
    assert c.wait_delay_max_seconds <= SQS_MAX_VISIBILITY_SECONDS
    assert c.metric_namespace == "RdsSnapshotCopy"
    assert (c.copy_limit("db"), c.copy_limit("cluster")) == (20, 5)


def test_every_optional_setting_is_read() -> None:
    c = config(
        ENABLED_EVENT_IDS=" RDS-EVENT-0042 , RDS-EVENT-0169,",
        OPTION_GROUP_NAME="og",
        DEAD_LETTER_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
        MAX_DB_COPIES_IN_PROGRESS="7",
        MAX_CLUSTER_COPIES_IN_PROGRESS="2",
        MAX_RECEIVE_COUNT="11",
        MAX_WAIT_SECONDS="3600",
        WAIT_DELAY_MAX_SECONDS="120",
        MAX_ERROR_TRIES="4",
        METRIC_NAMESPACE="Ns",
    )
    assert c.enabled_event_ids == frozenset({"RDS-EVENT-0042", "RDS-EVENT-0169"})
    assert c.option_group_name == "og"
    assert c.dead_letter_queue_url == "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"
    assert (c.max_db_copies_in_progress, c.max_cluster_copies_in_progress) == (7, 2)
    assert (c.max_receive_count, c.max_wait_seconds, c.wait_delay_max_seconds, c.max_error_tries) == (11, 3600, 120, 4)
    assert c.metric_namespace == "Ns"
    assert (c.copy_limit("db"), c.copy_limit("cluster")) == (7, 2)


def test_empty_optional_settings_mean_default() -> None:
    c = config(OPTION_GROUP_NAME="", DEAD_LETTER_QUEUE_URL="", MAX_DB_COPIES_IN_PROGRESS="", ENABLED_EVENT_IDS="")
    assert c.option_group_name is None and c.dead_letter_queue_url is None
    assert c.max_db_copies_in_progress == 20
    assert c.enabled_event_ids == frozenset(KNOWN_EVENTS)


def test_wait_delay_max_is_capped_at_sqs_maximum() -> None:
    assert config(WAIT_DELAY_MAX_SECONDS="999999").wait_delay_max_seconds == SQS_MAX_VISIBILITY_SECONDS


@pytest.mark.parametrize("missing", sorted(REQUIRED))
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_missing_required_setting(missing: str, how: str) -> None:
    env = dict(REQUIRED)
    if how == "absent":
        del env[missing]
    else:
        env[missing] = ""
    with pytest.raises(ConfigurationError, match=missing) as raised:
        Config.from_env(env)
    assert isinstance(raised.value, SnapshotCopyError)


def test_all_missing_names_all() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Config.from_env({})
    for name in REQUIRED:
        assert name in str(raised.value)


def test_same_source_and_destination_region() -> None:
    with pytest.raises(ConfigurationError, match="differ"):
        config(DESTINATION_REGION="us-east-1")


@pytest.mark.parametrize(
    "name",
    [
        "MAX_DB_COPIES_IN_PROGRESS",
        "MAX_CLUSTER_COPIES_IN_PROGRESS",
        "MAX_RECEIVE_COUNT",
        "MAX_WAIT_SECONDS",
        "WAIT_DELAY_MAX_SECONDS",
        "MAX_ERROR_TRIES",
    ],
)
@pytest.mark.parametrize("value", ["0", "-3", "ten", "1.5", "2e3"])
def test_invalid_numbers(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name) as raised:
        config(**{name: value})
    assert value in str(raised.value)


@pytest.mark.parametrize("value", ["RDS-EVENT-9999", "RDS-EVENT-0042,RDS-EVENT-0041", "rds-event-0042"])
def test_unknown_event_ids(value: str) -> None:
    with pytest.raises(ConfigurationError, match="ENABLED_EVENT_IDS"):
        config(ENABLED_EVENT_IDS=value)


def test_kms_key_in_another_region_is_invalid() -> None:
    # The copy is encrypted in the destination region: a key ARN of any other region cannot work there
    # (RDS answers KMSKeyNotAccessibleFault on every copy). Config should refuse it up front.
    with pytest.raises(ConfigurationError, match="DESTINATION_REGION_KMS_KEY_ID"):
        config(DESTINATION_REGION_KMS_KEY_ID=KEY.replace("us-west-2", "us-east-1"))


def test_handler_raises_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_REGION", "us-east-1")
    with pytest.raises(ConfigurationError, match="DESTINATION_REGION"):
        invoke(load_event("db_snapshot_manual_created"))


def test_handler_raises_configuration_error_for_sqs_batches_too(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAX_ERROR_TRIES", "zero")
    with pytest.raises(ConfigurationError, match="MAX_ERROR_TRIES"):
        invoke({"Records": []})
