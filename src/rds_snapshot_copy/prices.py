"""What a drill's temporary databases cost: instance-hours times a small on-demand price table.

The table is deliberately small and dated: a drill's cost is dominated by instance-hours, and an estimate
within a few cents is enough to say "this drill cost $0.20". Classes not listed are reported as unknown
rather than guessed. Storage, I/O and backup storage of a restored database for the minutes a drill runs
are fractions of a cent and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-11"
PRICE_REGION = "us-east-1"
PRICE_SOURCES = {
    "rds": "https://aws.amazon.com/rds/postgresql/pricing/",
    "aurora": "https://aws.amazon.com/rds/aurora/pricing/",
}
# RDS bills instance time per second with a 10-minute minimum (Amazon RDS User Guide, "On-Demand DB
# instances"), so even a drill that takes one minute pays for ten.
MINIMUM_BILLED_SECONDS = 600

# USD per instance-hour, on demand, Single-AZ, us-east-1, PostgreSQL (RDS MySQL/MariaDB are the same or a
# little lower) and Aurora Standard (MySQL- and PostgreSQL-compatible alike). Other regions differ by
# up to ~30%.
_HOURLY_USD: dict[str, dict[str, float]] = {
    "rds": {
        "db.t3.micro": 0.018,
        "db.t3.small": 0.036,
        "db.t3.medium": 0.072,
        "db.t4g.micro": 0.016,
        "db.t4g.small": 0.032,
        "db.t4g.medium": 0.065,
        "db.m5.large": 0.178,
        "db.m6g.large": 0.159,
        "db.m6i.large": 0.178,
        "db.m7g.large": 0.168,
        "db.r5.large": 0.250,
        "db.r6g.large": 0.225,
        "db.r6i.large": 0.250,
    },
    "aurora": {
        "db.t3.medium": 0.082,
        "db.t4g.medium": 0.073,
        "db.r5.large": 0.290,
        "db.r6g.large": 0.260,
        "db.r6i.large": 0.290,
        "db.r7g.large": 0.276,
    },
}


@dataclass(frozen=True)
class Estimate:
    instance_class: str
    hourly_usd: float | None  # None: the class is not in the table
    billed_seconds: float
    source: str

    @property
    def usd(self) -> float | None:
        return None if self.hourly_usd is None else round(self.hourly_usd * self.billed_seconds / 3600, 4)

    def text(self) -> str:
        """Three decimals under a dollar: ten minutes of a small class is a fraction of a cent, not $0.00."""
        if self.usd is None:
            return "unknown"
        return f"${self.usd:.3f}" if self.usd < 1 else f"${self.usd:.2f}"


def family(engine: str) -> str:
    return "aurora" if engine.startswith("aurora") else "rds"


def hourly_price(engine: str, instance_class: str) -> float | None:
    return _HOURLY_USD[family(engine)].get(instance_class)


def estimate(engine: str, instance_class: str, seconds: float) -> Estimate:
    """The on-demand cost of one instance of `instance_class` running `seconds` (10-minute minimum)."""
    return Estimate(
        instance_class=instance_class,
        hourly_usd=hourly_price(engine, instance_class),
        billed_seconds=max(seconds, MINIMUM_BILLED_SECONDS),
        source=f"{PRICE_SOURCES[family(engine)]} ({PRICE_REGION}, on demand, Single-AZ, as of {PRICES_AS_OF})",
    )
