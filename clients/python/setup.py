"""Builds jinguo-client: the gRPC stubs are generated from the repository's protos/ (two directories up, or
$JINGUO_PROTOS) into the package being built, so the installed stubs always match the protos they came from."""
import glob
import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithStubs(build_py):
    def run(self):
        super().run()
        import grpc_tools
        from grpc_tools import protoc

        protos = os.environ.get("JINGUO_PROTOS", os.path.join(HERE, "..", "..", "protos"))
        files = sorted(glob.glob(os.path.join(protos, "jinguo", "**", "*.proto"), recursive=True))
        if not files:
            raise SystemExit(f"jinguo-client: no .proto files under {protos} (set JINGUO_PROTOS)")
        bundled = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
        args = ["grpc_tools.protoc", f"-I{protos}", f"-I{bundled}", f"--python_out={self.build_lib}",
                f"--pyi_out={self.build_lib}", f"--grpc_python_out={self.build_lib}"] + files
        if protoc.main(args) != 0:
            raise SystemExit("jinguo-client: protoc failed on " + protos)
        # Every generated directory a package.
        for root, _, _ in os.walk(os.path.join(self.build_lib, "jinguo")):
            open(os.path.join(root, "__init__.py"), "a").close()


setup(cmdclass={"build_py": BuildWithStubs})
