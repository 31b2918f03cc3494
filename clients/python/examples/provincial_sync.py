#!/usr/bin/env python3
"""Mirrors a region's 建档立卡 registry and its coverage into a local SQLite database, as a provincial system would.

    provincial_sync.py --token TOKEN --region 1302 --db tangshan.sqlite [--address HOST:PORT ...]

Run it as often as you like; each run writes only what changed since the last one. How it knows: every
beneficiary carries a version that the registry raises with each change to her record (registration, update,
status change, merge), so a row is written only when the registry's version is higher than the stored one, and a
beneficiary not yet stored is new. The run reads the region's list page by page (500 at a time) to learn the
versions; for a registry so large that even that read is too much, consume the registration topic instead
(docs/events/asyncapi.yaml), which carries each change once. Coverage is a dated snapshot per run day: the five
100% of the region and of each child region, replaced when the same day is synced again.

Prints one line: how many beneficiaries were new, changed and unchanged, and how many coverage rows were written.
"""
import argparse
import datetime
import sqlite3
import sys

from jinguo_client import Client, JinguoError
from jinguo.registration.v1 import registration_pb2, types_pb2
from jinguo.reporting.v1 import reporting_pb2

SCHEMA = """
CREATE TABLE IF NOT EXISTS beneficiaries (
  id TEXT PRIMARY KEY, version INTEGER NOT NULL, region_code TEXT NOT NULL, household_id TEXT NOT NULL,
  name TEXT NOT NULL, id_number TEXT NOT NULL, category TEXT NOT NULL, monitoring_status TEXT NOT NULL,
  synced_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS coverage (
  day TEXT NOT NULL, region_code TEXT NOT NULL, name TEXT NOT NULL, item TEXT NOT NULL,
  numerator INTEGER NOT NULL, denominator INTEGER NOT NULL, basis_points INTEGER NOT NULL,
  PRIMARY KEY (day, region_code, item));
CREATE TABLE IF NOT EXISTS runs (
  started_at TEXT NOT NULL, region TEXT NOT NULL, new INTEGER, changed INTEGER, unchanged INTEGER);
"""


def sync(client: Client, region: str, db: sqlite3.Connection, today: datetime.date) -> dict:
    db.executescript(SCHEMA)
    stored = dict(db.execute("SELECT id, version FROM beneficiaries WHERE region_code LIKE ?", (region + "%",)))
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    counts = {"new": 0, "changed": 0, "unchanged": 0, "coverage": 0}
    request = registration_pb2.ListBeneficiariesRequest(region_prefix=region)
    for b in client.pages(client.registration.ListBeneficiaries, request, "beneficiaries"):
        known = stored.get(b.id)
        if known is not None and known >= b.version:
            counts["unchanged"] += 1
            continue
        counts["new" if known is None else "changed"] += 1
        db.execute(
            "INSERT INTO beneficiaries VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET version=excluded.version,"
            " region_code=excluded.region_code, household_id=excluded.household_id, name=excluded.name,"
            " id_number=excluded.id_number, category=excluded.category,"
            " monitoring_status=excluded.monitoring_status, synced_at=excluded.synced_at",
            (b.id, b.version, b.region_code, b.household_id, b.name, b.id_number, types_pb2.Category.Name(b.category),
             types_pb2.MonitoringStatus.Name(b.monitoring_status), now))
    children = client.reporting.ListChildSummaries(reporting_pb2.ListChildSummariesRequest(region_code=region))
    for summary in [children.parent, *children.children]:
        for item in summary.coverage:
            db.execute("INSERT OR REPLACE INTO coverage VALUES (?,?,?,?,?,?,?)",
                       (today.isoformat(), summary.region_code, summary.name, item.name, item.numerator,
                        item.denominator, item.basis_points))
            counts["coverage"] += 1
    db.execute("INSERT INTO runs VALUES (?,?,?,?,?)", (now, region, counts["new"], counts["changed"],
                                                       counts["unchanged"]))
    db.commit()
    return counts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--token", required=True)
    p.add_argument("--region", required=True, help="region code prefix, e.g. 1302")
    p.add_argument("--db", required=True, help="SQLite file (created when missing)")
    p.add_argument("--registration", default="127.0.0.1:50051")
    p.add_argument("--reporting", default="127.0.0.1:50052")
    a = p.parse_args(argv)
    try:
        with Client(token=a.token, addresses={"registration": a.registration, "reporting": a.reporting}) as c, \
                sqlite3.connect(a.db) as db:
            counts = sync(c, a.region, db, datetime.date.today())
    except JinguoError as e:
        print(f"provincial_sync: {e}", file=sys.stderr)
        return 1
    print(f"provincial_sync: {a.region}: {counts['new']} new, {counts['changed']} changed, "
          f"{counts['unchanged']} unchanged; {counts['coverage']} coverage rows for {datetime.date.today()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
