#!/usr/bin/env bash
# The Python tests (pytest) against the real services: makes BUILD/python-venv with pytest, confluent-kafka and
# jinguo-client (pip install ./clients/python, again whenever the client or the protos change), then runs pytest
# on tests/integration/python. ctest runs it as python_client_test.
# usage: run.sh BUILD [pytest args...]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
shift || true
cd "$(dirname "$0")/../../.."
VENV=$BUILD/python-venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
STAMP=$VENV/.jinguo-client
SOURCES=$(find clients/python protos -type f \( -name '*.py' -o -name '*.proto' -o -name '*.toml' \) \
  -not -path '*/build/*' -not -path '*.egg-info/*' | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$SOURCES" ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check pytest==9.2.0 confluent-kafka==2.16.2 ./clients/python
  rm -rf clients/python/build clients/python/*.egg-info
  echo "$SOURCES" >"$STAMP"
fi
export JINGUO_BUILD=$BUILD
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/integration/python "$@"
