"""The real services for the Python tests: a Kafka broker (deploy/local/kafka.sh) and the registration and
reporting binaries from the build tree ($JINGUO_BUILD, default build/), each on a free port, in a temporary
directory removed afterwards."""
import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time

import grpc
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.path.abspath(os.environ.get("JINGUO_BUILD", os.path.join(ROOT, "build")))
ADMIN, VIEWER = "py-admin", "py-viewer"


def free_port() -> int:
    return int(subprocess.check_output([os.path.join(ROOT, "deploy/local/kafka.sh"), "free-port"]).decode())



def wait_ready(address: str, timeout: float = 60) -> None:
    """Until grpc.health.v1 says SERVING (the response's bytes are field 1, status, = 1)."""
    channel = grpc.insecure_channel(address)
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda b: b,
                                response_deserializer=lambda b: b)
    end = time.time() + timeout
    try:
        while time.time() < end:
            try:
                if check(b"", timeout=1) == b"\x08\x01":
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{address} did not become SERVING within {timeout} s")
    finally:
        channel.close()


class Stack:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="jinguo-py-")
        self.procs = []
        kafka_port = free_port()
        env = dict(os.environ, KAFKA_OWNER_PID=str(os.getpid()))
        subprocess.check_call([os.path.join(ROOT, "deploy/local/kafka.sh"), "start", str(kafka_port),
                               os.path.join(self.dir, "kafka")], env=env, stdout=subprocess.DEVNULL)
        self.brokers = f"127.0.0.1:{kafka_port}"
        with open(os.path.join(self.dir, "tokens"), "w") as f:
            for token, name, role, scope in [(ADMIN, "admin", "admin", "*"), (VIEWER, "viewer", "viewer", "1302")]:
                f.write(f"{hashlib.sha256(token.encode()).hexdigest()} {name} {role} {scope}\n")
        keys = os.path.join(self.dir, "data-keys")
        with open(keys, "w") as f:
            f.write(f"k1 data {secrets.token_hex(32)}\nidx1 index {secrets.token_hex(32)}\n")
        os.chmod(keys, 0o600)
        self.addresses = {}
        for name in ("registration", "reporting"):
            port = free_port()
            args = [os.path.join(BUILD, "services", name, f"jinguo-{name}"), "--grpc-listen", f"127.0.0.1:{port}",
                    "--http-listen", "127.0.0.1:0", "--data-dir", os.path.join(self.dir, name),
                    "--kafka-brokers", self.brokers, "--tokens-file", os.path.join(self.dir, "tokens"),
                    "--regions-dir", os.path.join(ROOT, "data/regions"), "--log-level", "warn"]
            if name == "registration":
                args += ["--data-key-file", keys]
            log = open(os.path.join(self.dir, f"{name}.log"), "w")
            self.procs.append(subprocess.Popen(args, stdout=log, stderr=log))
            self.addresses[name] = f"127.0.0.1:{port}"
            wait_ready(self.addresses[name])

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=60)
        subprocess.call([os.path.join(ROOT, "deploy/local/kafka.sh"), "stop", os.path.join(self.dir, "kafka")],
                        stdout=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack():
    s = Stack()
    yield s
    s.stop()
