#!/usr/bin/env bash
# Builds the REST gateway: generates its Go code from protos/ (protoc-gen-go, protoc-gen-go-grpc and
# protoc-gen-grpc-gateway, into gateway/gen/, not kept in git), the OpenAPI document (protoc-gen-openapiv2, into
# BUILD/gateway/openapi.json), and the binary BUILD/gateway/jinguo-gateway. The API viewer (swagger-ui-dist from
# web/node_modules) and the document are copied to BUILD/share/jinguo/api-docs, which the gateway serves at /docs/.
# `make gateway` runs it; the tools are installed by scripts/deps.sh.
#   check   also fail when docs/api/openapi.json differs from the generated document (CI's lint)
# usage: gateway.sh [BUILD] [check]
set -euo pipefail
BUILD=${1:-build}
MODE=${2:-}
cd "$(dirname "$0")/.."
GOBIN=$(go env GOPATH)/bin
GEN=gateway/gen
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
OUT=$BUILD/gateway
mkdir -p "$OUT" "$BUILD/share/jinguo/api-docs"

# Every jinguo proto, each mapped to its Go package: jinguo/registration/v1 → jinguo/gateway/gen/jinguo/registration/v1
# (package registrationv1).
mapfile -t FILES < <(cd protos && find jinguo -name '*.proto' | sort)
MAPS=""
for f in "${FILES[@]}"; do
  dir=$(dirname "$f")
  pkg=$(basename "$(dirname "$dir")")$(basename "$dir")
  MAPS+=",M$f=jinguo/gateway/gen/$dir;$pkg"
done
MAPS=${MAPS#,}

rm -rf "$GEN"
mkdir -p "$GEN"
protoc -I protos \
  --plugin=protoc-gen-go="$GOBIN/protoc-gen-go" --go_out=gateway --go_opt="module=jinguo/gateway,$MAPS" \
  --plugin=protoc-gen-go-grpc="$GOBIN/protoc-gen-go-grpc" --go-grpc_out=gateway \
  --go-grpc_opt="module=jinguo/gateway,require_unimplemented_servers=false,$MAPS" \
  --plugin=protoc-gen-grpc-gateway="$GOBIN/protoc-gen-grpc-gateway" --grpc-gateway_out=gateway \
  --grpc-gateway_opt="module=jinguo/gateway,$MAPS" \
  "${FILES[@]}"
# One document for every service, field names as in the .proto files (as the gateway's JSON has them).
protoc -I protos \
  --plugin=protoc-gen-openapiv2="$GOBIN/protoc-gen-openapiv2" --openapiv2_out="$OUT" \
  --openapiv2_opt="allow_merge=true,merge_file_name=openapi,json_names_for_fields=false,output_format=json,$MAPS" \
  $(printf '%s\n' "${FILES[@]}" | grep -E '/(registration|reporting|health|loans|training|publicity|audit)\.proto$')
mv "$OUT/openapi.swagger.json" "$OUT/openapi.json"

(cd gateway && go build -trimpath -o "$OUT/jinguo-gateway" .)
cp "$OUT/openapi.json" "$BUILD/share/jinguo/api-docs/openapi.json"
if [ -d web/node_modules/swagger-ui-dist ]; then
  cp web/node_modules/swagger-ui-dist/{swagger-ui.css,swagger-ui-bundle.js,swagger-ui-standalone-preset.js} \
    "$BUILD/share/jinguo/api-docs/"
  cp docs/api/index.html "$BUILD/share/jinguo/api-docs/index.html"
fi
echo "gateway: built $OUT/jinguo-gateway; OpenAPI $OUT/openapi.json"
if [ "$MODE" = check ] && ! cmp -s "$OUT/openapi.json" docs/api/openapi.json; then
  echo "gateway: docs/api/openapi.json is not what protos/ generate; run: cp $OUT/openapi.json docs/api/openapi.json" >&2
  exit 1
fi
