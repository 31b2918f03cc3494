"""Typed errors for Jinguo's gRPC status codes, with the field violations the services attach
(google.rpc.BadRequest in the status details): ``err.violations`` lists (field, description)."""
from dataclasses import dataclass
from typing import List, Optional

import grpc
from google.rpc import error_details_pb2, status_pb2


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class JinguoError(Exception):
    """A call the service refused or could not answer."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, code: grpc.StatusCode, message: str, violations: Optional[List[FieldViolation]] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.violations = violations or []

    def fields(self) -> List[str]:
        return [v.field for v in self.violations]

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


class InvalidArgument(JinguoError):
    pass


class NotFound(JinguoError):
    pass


class AlreadyExists(JinguoError):
    pass


class FailedPrecondition(JinguoError):
    pass


class PermissionDenied(JinguoError):
    pass


class Unauthenticated(JinguoError):
    pass


class Unavailable(JinguoError):
    pass


_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: Unavailable,
}


def from_rpc_error(err: grpc.RpcError) -> JinguoError:
    """The typed error for a failed call, with the field violations from its status details."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    message = err.details() if hasattr(err, "details") else str(err)
    violations: List[FieldViolation] = []
    for key, value in (err.trailing_metadata() or ()) if hasattr(err, "trailing_metadata") else ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            bad = error_details_pb2.BadRequest()
            if detail.Unpack(bad):
                violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
    return _BY_CODE.get(code, JinguoError)(code, message or "", violations)
