"""Jinguo (巾帼) from Python: the generated stubs (``jinguo.<service>.v1``) and a thin client around them.

    from jinguo_client import Client
    from jinguo.registration.v1 import registration_pb2 as reg

    with Client("127.0.0.1:50051", token="dev-admin") as c:
        for b in c.pages(c.registration.ListBeneficiaries, reg.ListBeneficiariesRequest(region_prefix="130207"),
                         "beneficiaries"):
            print(b.id, b.name)

The client sends the bearer token with every call, gives each call a deadline, retries a call the service could not
answer (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) with the same request id, so a retried write is answered
rather than repeated, and raises typed errors that carry the service's field violations.
"""

from jinguo_client.client import Client, Services
from jinguo_client.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    JinguoError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "Client",
    "Services",
    "JinguoError",
    "FieldViolation",
    "InvalidArgument",
    "NotFound",
    "AlreadyExists",
    "FailedPrecondition",
    "PermissionDenied",
    "Unauthenticated",
    "Unavailable",
]
