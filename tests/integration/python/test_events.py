"""The event catalogue: docs/events/asyncapi.yaml is what scripts/asyncapi.py makes of protos/, and the example
consumer decodes real events from the broker."""
import os
import subprocess
import sys
import tempfile

from conftest import ADMIN, ROOT
from jinguo_client import Client
from jinguo.registration.v1 import registration_pb2 as reg
from jinguo.registration.v1 import types_pb2 as types

sys.path.insert(0, os.path.join(ROOT, "clients", "python", "examples"))
import event_consumer  # noqa: E402


def test_catalogue_is_current():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "asyncapi.yaml")
        subprocess.check_call([sys.executable, os.path.join(ROOT, "scripts", "asyncapi.py"), out])
        with open(out) as made, open(os.path.join(ROOT, "docs", "events", "asyncapi.yaml")) as kept:
            assert made.read() == kept.read(), "docs/events/asyncapi.yaml is stale: run scripts/asyncapi.py"


def test_catalogue_names_every_event_the_services_publish():
    with open(os.path.join(ROOT, "docs", "events", "asyncapi.yaml")) as f:
        text = f.read()
    for event in ["BeneficiaryRegistered", "HouseholdRegistered", "ScreeningRecorded", "LoanDisbursed",
                  "ProgrammeCreated", "HouseholdReached", "DeadLetter"]:
        assert f"\n    {event}:\n      name: {event}\n" in text, event


def test_consumer_decodes_envelopes_and_payloads(stack):
    with Client(token=ADMIN, addresses=stack.addresses) as c:
        household = c.registration.RegisterHousehold(reg.RegisterHouseholdRequest(
            region_code="130207107201", attribute=types.HOUSEHOLD_ATTRIBUTE_LOW_INCOME, head_name="赵淑珍")).household
    found = None
    for msg, event in event_consumer.consume(stack.brokers, ["registration"], idle_seconds=5):
        if event.get("event_type") == "HouseholdRegistered" and event.get("aggregate_id") == household.id:
            found = (msg, event)
            break
    assert found, "HouseholdRegistered not on jinguo.registration.events.v1"
    msg, event = found
    assert msg.key().decode() == household.id, "the key is the aggregate id"
    assert event["producer"] == "registration"
    assert event["payload"]["@type"] == "type.googleapis.com/jinguo.registration.v1.HouseholdRegistered"
    assert event["payload"]["region_code"] == "130207107201"
    assert event["payload"]["attribute"] == "HOUSEHOLD_ATTRIBUTE_LOW_INCOME"
