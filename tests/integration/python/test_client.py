"""jinguo_client against the real registration and reporting services (conftest.py starts them)."""
import datetime
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import ADMIN, ROOT, VIEWER
from jinguo_client import Client, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from jinguo.registration.v1 import registration_pb2 as reg
from jinguo.registration.v1 import types_pb2 as types
from jinguo.reporting.v1 import reporting_pb2 as rep

sys.path.insert(0, os.path.join(ROOT, "clients", "python", "examples"))
import provincial_sync  # noqa: E402

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(birth: datetime.date, serial: int, region: str = "130207") -> str:
    """A valid 18-digit resident ID number (GB 11643 check digit) of a woman: the sequence number is even."""
    body = f"{region}{birth:%Y%m%d}{(serial * 2) % 1000:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]
    return body + check


@pytest.fixture()
def client(stack):
    with Client(token=ADMIN, addresses=stack.addresses, deadline=15) as c:
        yield c


def household(c: Client, village: str = "130207104201") -> str:
    return c.registration.RegisterHousehold(reg.RegisterHouseholdRequest(
        region_code=village, attribute=types.HOUSEHOLD_ATTRIBUTE_GENERAL, head_name="王建国")).household.id


def woman(c: Client, household_id: str, serial: int, name: str = "李秀英"):
    return c.registration.RegisterBeneficiary(reg.RegisterBeneficiaryRequest(beneficiary=types.BeneficiaryInput(
        id_number=id_number(datetime.date(1980, 3, 1), serial), name=name, household_id=household_id,
        poverty_causes=[types.POVERTY_CAUSE_ILLNESS]))).beneficiary


def test_a_repeated_request_is_answered_not_repeated(client):
    request = reg.RegisterBeneficiaryRequest(beneficiary=types.BeneficiaryInput(
        id_number=id_number(datetime.date(1979, 1, 2), 101), name="张桂兰", household_id=household(client),
        poverty_causes=[types.POVERTY_CAUSE_ILLNESS]))
    first = client.registration.RegisterBeneficiary(request)
    assert request.request_id.startswith("py-"), "the client gives the request an id"
    again = client.registration.RegisterBeneficiary(request)  # what a retry sends: the same request id
    assert again.beneficiary.id == first.beneficiary.id


def test_errors_are_typed_with_field_violations(client, stack):
    with pytest.raises(InvalidArgument) as bad:
        client.registration.RegisterHousehold(reg.RegisterHouseholdRequest(
            region_code="999", attribute=types.HOUSEHOLD_ATTRIBUTE_GENERAL, head_name="王建国"))
    assert bad.value.fields() == ["region_code"]
    assert "12 digits" in bad.value.violations[0].description
    with pytest.raises(NotFound):
        client.registration.GetBeneficiary(reg.GetBeneficiaryRequest(beneficiary_id="no-such-id"))
    with Client(addresses=stack.addresses) as anonymous, pytest.raises(Unauthenticated):
        anonymous.reporting.GetCoverage(rep.GetCoverageRequest(region_code="1302"))
    with Client(token=VIEWER, addresses=stack.addresses) as viewer, pytest.raises(PermissionDenied):
        viewer.reporting.GetCoverage(rep.GetCoverageRequest(region_code="1301"))


def test_pages_yield_every_item(client):
    h = household(client, "130207105201")
    ids = {woman(client, h, 200 + i, f"测试{i}").id for i in range(7)}
    seen = [b.id for b in client.pages(client.registration.ListBeneficiaries,
                                       reg.ListBeneficiariesRequest(region_prefix="130207105201"), "beneficiaries",
                                       page_size=3)]
    assert set(seen) == ids and len(seen) == 7


def test_a_retry_reaches_a_service_that_comes_back(stack):
    # Nothing listens on this port for the first attempts; the client keeps the request id across its retries.
    with Client(token=ADMIN, addresses={"registration": "127.0.0.1:1"}, retries=2, backoff=0.05, deadline=1) as c:
        request = reg.GetHouseholdRequest(household_id="x")
        with pytest.raises(Exception) as err:
            c.registration.GetHousehold(request)
        assert type(err.value).__name__ == "Unavailable"


def test_provincial_sync_writes_only_what_changed(client, stack, tmp_path):
    h = household(client, "130207106201")
    women = [woman(client, h, 300 + i, f"同步{i}") for i in range(4)]
    db = str(tmp_path / "mirror.sqlite")
    args = ["--token", ADMIN, "--region", "130207106", "--db", db,
            "--registration", stack.addresses["registration"], "--reporting", stack.addresses["reporting"]]
    assert provincial_sync.main(args) == 0
    with sqlite3.connect(db) as d:
        assert d.execute("SELECT COUNT(*) FROM beneficiaries").fetchone()[0] == 4
        run = d.execute("SELECT new, changed, unchanged FROM runs ORDER BY rowid DESC").fetchone()
        assert run == (4, 0, 0)
    # One new woman and one status change since: the next run writes exactly those two.
    woman(client, h, 310, "同步新")
    client.registration.ChangeMonitoringStatus(reg.ChangeMonitoringStatusRequest(
        beneficiary_id=women[0].id, expected_version=women[0].version, status=types.MONITORING_STATUS_LIFTED,
        reason="务工收入稳定", effective_on={"year": 2026, "month": 11, "day": 1}))
    assert provincial_sync.main(args) == 0
    with sqlite3.connect(db) as d:
        run = d.execute("SELECT new, changed, unchanged FROM runs ORDER BY rowid DESC").fetchone()
        assert run == (1, 1, 3)
        status = d.execute("SELECT monitoring_status FROM beneficiaries WHERE id = ?", (women[0].id,)).fetchone()[0]
        assert status == "MONITORING_STATUS_LIFTED"
        assert d.execute("SELECT COUNT(*) FROM coverage WHERE region_code = '130207106'").fetchone()[0] == 5
