"""The functions' clients of the year's world (bench/year_world.py): RDS in the source region, RDS in the
destination, Service Quotas. Each is a FakeClient (bench/fake_aws.py): its own latency draws, call counts,
injected throttling and 5xx errors with botocore's retries, and the year's outage and timeout hooks.
Parameters the fakes do not model are refused by name (`strict`), so the fakes cannot drift from the code.
"""

from __future__ import annotations

import random
from typing import Any

from snapshot_copy.kinds import KINDS

from .fake_aws import CallStats, FakeClient, Faults, client_error, strict
from .fake_rds import ACCOUNT, LIST_OPTIONS, paged
from .sim import Sim
from .year_world import World


class SourceClient(FakeClient):
    """A function's RDS client of the source region."""

    def __init__(self, world: World, name: str, sim: Sim, stats: CallStats, rng: random.Random, faults: Faults) -> None:
        super().__init__(name, sim, stats, rng, faults, latency=(0.05, 0.25))
        self.world = world

    def _snapshots(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        # This account's snapshots; with IncludeShared and SnapshotType "shared", those shared with it instead.
        shared = kwargs.get("IncludeShared") is True and kwargs.get("SnapshotType") == "shared"
        if table.identifier_key in kwargs:
            strict(operation, kwargs, {table.identifier_key, "IncludeShared", "SnapshotType"})
            wanted = kwargs[table.identifier_key]

            def one() -> dict[str, Any]:
                snap = self.world.by_arn.get(wanted) or self.world.snaps[kind].get(wanted)
                if snap is not None and (ACCOUNT in snap.shared_with if shared else snap.account == ACCOUNT):
                    return {table.answer_key: [dict(snap.view)]}
                code = "DBSnapshotNotFound" if kind == "db" else "DBClusterSnapshotNotFoundFault"
                raise client_error(code, f"{wanted} not found.", operation, 404)

            return self._call(f"{operation}[id]", operation, one)
        strict(operation, kwargs, LIST_OPTIONS | {"IncludeShared"})
        if (kwargs.get("SnapshotType") not in (None,) and not shared) or kwargs.get("Filters"):
            raise TypeError(f"{operation}: only the full listing is modelled in the source, got {kwargs}")
        page = {k: v for k, v in kwargs.items() if k in ("MaxRecords", "Marker")}
        listing = self.world._listing("shared" if shared else "source", kind)
        return self._call(
            f"{operation}[list]",
            operation,
            lambda: paged(listing, table.answer_key, operation, view=lambda s: s.view, **page),
        )

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._snapshots("db", "DescribeDBSnapshots", kwargs)

    def describe_db_cluster_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._snapshots("cluster", "DescribeDBClusterSnapshots", kwargs)

    def describe_db_instances(self, **kwargs: Any) -> dict[str, Any]:
        strict("describe_db_instances", kwargs, {"MaxRecords", "Marker"})
        return self._call(
            "describe_db_instances",
            "DescribeDBInstances",
            lambda: paged(self.world.instance_views(), "DBInstances", "DescribeDBInstances", **kwargs),
        )

    def describe_db_clusters(self, **kwargs: Any) -> dict[str, Any]:
        strict("describe_db_clusters", kwargs, {"MaxRecords", "Marker"})
        return self._call(
            "describe_db_clusters",
            "DescribeDBClusters",
            lambda: paged(self.world.cluster_views(), "DBClusters", "DescribeDBClusters", **kwargs),
        )

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        strict("list_tags_for_resource", kwargs, {"ResourceName"})
        snap = self.world.by_arn.get(kwargs["ResourceName"])
        return self._call(
            "list_tags_for_resource",
            "ListTagsForResource",
            lambda: {"TagList": [dict(t) for t in (snap.view["TagList"] if snap else [])]},
        )


class DestinationClient(FakeClient):
    """A function's RDS client of the destination region (`who`: the function, for the deletion log)."""

    def __init__(
        self, world: World, name: str, who: str, sim: Sim, stats: CallStats, rng: random.Random, faults: Faults
    ) -> None:
        super().__init__(name, sim, stats, rng, faults, latency=(0.05, 0.25))
        self.world = world
        self.who = who

    def _snapshots(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        if table.identifier_key in kwargs:
            strict(operation, kwargs, {table.identifier_key})
            wanted = kwargs[table.identifier_key].rsplit(":", 1)[-1]

            def one() -> dict[str, Any]:
                copy = self.world.copies[kind].get(wanted)
                if copy is None:
                    code = "DBSnapshotNotFound" if kind == "db" else "DBClusterSnapshotNotFoundFault"
                    raise client_error(code, f"{wanted} not found.", operation, 404)
                return {table.answer_key: [dict(copy.view)]}

            return self._call(f"{operation}[id]", operation, one)
        strict(operation, kwargs, LIST_OPTIONS)

        def listing() -> dict[str, Any]:
            if kwargs.get("SnapshotType") not in (None, "manual"):
                raise client_error("InvalidParameterValue", "SnapshotType not modelled", operation)
            found = self.world._listing("destination", kind)
            for filter_ in kwargs.get("Filters") or []:
                if filter_["Name"] != table.identifier_filter:
                    raise client_error("InvalidParameterValue", f"filter {filter_['Name']} not modelled", operation)
                pool = self.world.copies[kind]
                found = [pool[i] for i in filter_["Values"] if i in pool]
            page = {k: v for k, v in kwargs.items() if k in ("MaxRecords", "Marker")}
            return paged(found, table.answer_key, operation, view=lambda c: c.view, **page)

        return self._call(f"{operation}[list]", operation, listing)

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._snapshots("db", "DescribeDBSnapshots", kwargs)

    def describe_db_cluster_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._snapshots("cluster", "DescribeDBClusterSnapshots", kwargs)

    def _copy(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        allowed = {table.copy_source_param, table.copy_target_param, "SourceRegion", "KmsKeyId", "Tags", "CopyTags"}
        if table.copy_takes_option_group:
            allowed.add("OptionGroupName")
        strict(operation, kwargs, allowed)
        return self._call(operation, operation, lambda: self.world.copy_request(kind, kwargs), ghost=True)

    def copy_db_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        return self._copy("db", "CopyDBSnapshot", kwargs)

    def copy_db_cluster_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        return self._copy("cluster", "CopyDBClusterSnapshot", kwargs)

    def _delete(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        strict(operation, kwargs, {table.identifier_key})
        identifier = kwargs[table.identifier_key]

        def answer() -> dict[str, Any]:
            copy = self.world.copies[kind].get(identifier)
            if copy is None:
                code = "DBSnapshotNotFound" if kind == "db" else "DBClusterSnapshotNotFoundFault"
                raise client_error(code, f"{identifier} not found.", operation, 404)
            if copy.view["Status"] not in ("available", "failed", "incompatible-restore"):
                code = "InvalidDBSnapshotState" if kind == "db" else "InvalidDBClusterSnapshotStateFault"
                raise client_error(code, f"{identifier} is {copy.view['Status']}", operation)
            self.world.delete_copy(kind, identifier, self.who)
            return {table.answer_key[:-1]: dict(copy.view)}

        return self._call(operation, operation, answer)

    def delete_db_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        return self._delete("db", "DeleteDBSnapshot", kwargs)

    def delete_db_cluster_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        return self._delete("cluster", "DeleteDBClusterSnapshot", kwargs)

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        strict("list_tags_for_resource", kwargs, {"ResourceName"})
        identifier = kwargs["ResourceName"].rsplit(":", 1)[-1]
        copy = self.world.copies["db"].get(identifier) or self.world.copies["cluster"].get(identifier)
        return self._call(
            "list_tags_for_resource",
            "ListTagsForResource",
            lambda: {"TagList": [dict(t) for t in (copy.view["TagList"] if copy else [])]},
        )


class ServiceQuotas(FakeClient):
    """Service Quotas in the destination: the account's applied manual snapshot quotas."""

    def __init__(self, world: World, sim: Sim, stats: CallStats, rng: random.Random, faults: Faults) -> None:
        super().__init__("service-quotas", sim, stats, rng, faults, latency=(0.05, 0.15))
        self.world = world

    def _quotas(self) -> dict[str, Any]:
        return {
            "Quotas": [
                {"QuotaName": KINDS[kind].manual_snapshot_quota_name, "Value": float(self.world.quota[kind])}
                for kind in KINDS
            ]
        }

    def list_service_quotas(self, **kwargs: Any) -> dict[str, Any]:
        strict("list_service_quotas", kwargs, {"ServiceCode", "MaxResults", "NextToken"})
        return self._call("list_service_quotas", "ListServiceQuotas", self._quotas)

    def list_aws_default_service_quotas(self, **kwargs: Any) -> dict[str, Any]:
        strict("list_aws_default_service_quotas", kwargs, {"ServiceCode", "MaxResults", "NextToken"})
        return self._call("list_aws_default_service_quotas", "ListAWSDefaultServiceQuotas", self._quotas)
