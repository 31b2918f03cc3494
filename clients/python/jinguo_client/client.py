"""The thin client: one channel per service address, the token on every call, deadlines, retries that reuse the
request id, and paging iterators."""
import random
import time
import uuid
from typing import Callable, Dict, Iterator, Optional

import grpc

from jinguo_client.errors import from_rpc_error

# Codes that mean the service did not answer: the call is retried (a write with the same request id).
RETRIED = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}

# `make run`'s ports (deploy/local/services.txt).
LOCAL = {
    "registration": "127.0.0.1:50051",
    "reporting": "127.0.0.1:50052",
    "health": "127.0.0.1:50053",
    "loans": "127.0.0.1:50054",
    "training": "127.0.0.1:50055",
    "publicity": "127.0.0.1:50056",
}


class _Method:
    """A stub method that adds the token and deadline, retries, and raises typed errors."""

    def __init__(self, client: "Client", method: Callable, streaming: bool):
        self._client = client
        self._method = method
        self._streaming = streaming

    def __call__(self, request, timeout: Optional[float] = None):
        c = self._client
        if hasattr(request, "DESCRIPTOR"):
            _give_request_id(request)
        if self._streaming:  # a stream of answers (an export, a watch): no deadline unless given, no retry
            return self._stream(self._method(request, timeout=timeout, metadata=c.metadata))
        deadline = timeout if timeout is not None else c.deadline
        attempt = 0
        while True:
            try:
                return self._method(request, timeout=deadline, metadata=c.metadata)
            except grpc.RpcError as err:
                if err.code() in RETRIED and attempt < c.retries:
                    attempt += 1
                    time.sleep(min(2.0, c.backoff * (2 ** (attempt - 1))) * (0.5 + random.random() / 2))
                    continue
                raise from_rpc_error(err) from None


    @staticmethod
    def _stream(call):
        try:
            yield from call
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None


def _give_request_id(request) -> None:
    """Fills an empty request_id once, before the first attempt: every retry then carries the same one."""
    field = request.DESCRIPTOR.fields_by_name.get("request_id")
    if field is not None and field.type == field.TYPE_STRING and not request.request_id:
        request.request_id = f"py-{uuid.uuid4()}"


class _Service:
    def __init__(self, client: "Client", stub):
        for name in dir(stub):
            attr = getattr(stub, name)
            if name.startswith("_") or not callable(attr):
                continue
            streaming = isinstance(attr, grpc.UnaryStreamMultiCallable)
            setattr(self, name, _Method(client, attr, streaming))


class Services:
    """The stub modules, imported on first use (the generated package is large)."""

    @staticmethod
    def stub(name: str):
        import importlib

        module = importlib.import_module(f"jinguo.{name}.v1.{name}_pb2_grpc")
        cls = {"loans": "LoanServiceStub"}.get(name, f"{name.capitalize()}ServiceStub")
        return getattr(module, cls)


class Client:
    """Calls Jinguo's services with one token.

    `address` is the one address of every service (a gateway or a single service under test), or pass
    `addresses={"registration": "host:port", ...}`; unnamed services default to `make run`'s ports.
    `deadline` is each call's timeout in seconds; `retries` how often a call the service did not answer is tried
    again (with backoff from `backoff` seconds). `credentials`: grpc.ssl_channel_credentials(...) for TLS.
    """

    def __init__(self, address: Optional[str] = None, token: str = "", *, addresses: Optional[Dict[str, str]] = None,
                 deadline: float = 10.0, retries: int = 3, backoff: float = 0.2,
                 credentials: Optional[grpc.ChannelCredentials] = None):
        self.deadline = deadline
        self.retries = retries
        self.backoff = backoff
        self.metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._addresses = dict(LOCAL)
        if address:
            self._addresses = {k: address for k in LOCAL}
        self._addresses.update(addresses or {})
        self._credentials = credentials
        self._channels: Dict[str, grpc.Channel] = {}
        self._services: Dict[str, _Service] = {}

    def _service(self, name: str) -> _Service:
        if name not in self._services:
            address = self._addresses[name]
            if address not in self._channels:
                options = [("grpc.max_receive_message_length", 64 << 20)]
                self._channels[address] = (grpc.secure_channel(address, self._credentials, options)
                                           if self._credentials else grpc.insecure_channel(address, options))
            self._services[name] = _Service(self, Services.stub(name)(self._channels[address]))
        return self._services[name]

    @property
    def registration(self):
        return self._service("registration")

    @property
    def reporting(self):
        return self._service("reporting")

    @property
    def health(self):
        return self._service("health")

    @property
    def loans(self):
        return self._service("loans")

    @property
    def training(self):
        return self._service("training")

    @property
    def publicity(self):
        return self._service("publicity")

    def pages(self, method: Callable, request, items: str, page_size: int = 500) -> Iterator:
        """Every item of a paged list (`items` names the response's repeated field), page after page."""
        request.page.page_size = page_size
        request.page.page_token = ""
        while True:
            response = method(request)
            yield from getattr(response, items)
            if not response.next_page_token:
                return
            request.page.page_token = response.next_page_token

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()
        self._services.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
