#!/usr/bin/env bash
# Installs what Jinguo needs and skips what is already there.
#   scripts/deps.sh core    Debian packages for building and testing (Chromium for the dashboard test), the
#                           Kafka jars, the dashboard's npm packages and the REST gateway's Go code generators
#                           (make build / make test)
#   scripts/deps.sh tools   Go tools used by make bench, make lint, make k8s-check and the e2e clients (grpcurl,
#                           ghz, hey, buf, kubeconform, helm) and clang-format
#   scripts/deps.sh lint    what make lint needs: clang-format and buf
#   scripts/deps.sh k8s     what make k8s-check needs: helm and kubeconform
#   scripts/deps.sh sanitize  clang and its sanitizer and libFuzzer runtimes (make test-sanitize, make fuzz)
#   scripts/deps.sh image   what make image needs: buildah (builds deploy/docker/Dockerfile, chroot isolation, vfs
#                           storage: no container runtime or fuse-overlayfs) and mmdebstrap (the Debian base)
#   scripts/deps.sh all     core, tools and sanitize
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  cmake ninja-build g++ pkg-config ccache python3 curl maven default-jre-headless
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler librdkafka-dev librocksdb-dev
  libgtest-dev libgmock-dev libbenchmark-dev libabsl-dev libspdlog-dev libcli11-dev libcpp-httplib-dev
  nlohmann-json3-dev libssl-dev zlib1g-dev libminizip-dev libexpat1-dev libxlsxwriter-dev openssl kcat prometheus-cpp-dev libgoogle-perftools-dev chromium fonts-wqy-microhei
  libgmp-dev
)
TOOL_PACKAGES=(clang-format)
SANITIZE_PACKAGES=(clang libclang-rt-14-dev)
IMAGE_PACKAGES=(buildah mmdebstrap uidmap)

# Go tools, pinned: name, then module@version.
GO_TOOLS=(
  "grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4"
  "ghz github.com/bojand/ghz/cmd/ghz@v0.120.0"
  "buf github.com/bufbuild/buf/cmd/buf@v1.75.0"
  "kubeconform github.com/yannh/kubeconform/cmd/kubeconform@v0.6.7"
  "helm helm.sh/helm/v4/cmd/helm@v4.3.2"
  "hey github.com/rakyll/hey@v0.1.4"
  "protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12"
  "protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1"
  "protoc-gen-grpc-gateway github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@v2.34.0"
  "protoc-gen-openapiv2 github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@v2.34.0"
)

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "deps: installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Java: the machine may already have a JDK that apt does not know of; only install one when there is no java.
core() {
  local pkgs=("${DEBIAN_PACKAGES[@]}")
  if command -v java >/dev/null; then pkgs=("${pkgs[@]/default-jre-headless}"); fi
  if command -v mvn >/dev/null; then pkgs=("${pkgs[@]/maven}"); fi
  local list=()
  for p in "${pkgs[@]}"; do [ -n "$p" ] && list+=("$p"); done
  apt_install "${list[@]}"
  deploy/local/kafka.sh fetch
  web
  # The REST gateway's code generators (scripts/gateway.sh); its Go modules come with its first build.
  go_tools protoc-gen-go protoc-gen-go-grpc protoc-gen-grpc-gateway protoc-gen-openapiv2
}

# The dashboard's chart library and city maps from npm, pinned by web/package-lock.json, into web/node_modules
# (the build copies what the reporting service serves); skipped when that lock is installed already.
web() {
  command -v npm >/dev/null || apt_install nodejs npm
  if [ -f web/node_modules/.package-lock.json ] && [ web/node_modules/.package-lock.json -nt web/package-lock.json ] &&
    [ -f web/node_modules/echarts/dist/echarts.min.js ]; then
    return 0
  fi
  echo "deps: npm ci in web/ (ECharts, the city maps, the API viewer, puppeteer-core)"
  npm ci --prefix web --no-audit --no-fund --ignore-scripts
}

# Installs the named Go tools (all of GO_TOOLS when none is named) that are not there yet.
go_tools() {
  command -v go >/dev/null || apt_install golang-go
  local gobin
  gobin=$(go env GOBIN)
  [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
  for entry in "${GO_TOOLS[@]}"; do
    local name=${entry%% *} module=${entry#* }
    if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
    if [ -x "$gobin/$name" ] || command -v "$name" >/dev/null; then continue; fi
    echo "deps: go install $module"
    (cd /tmp && go install "$module")
  done
}

tools() {
  apt_install "${TOOL_PACKAGES[@]}"
  go_tools
}

sanitize() {
  apt_install "${SANITIZE_PACKAGES[@]}"
}

lint() {
  apt_install clang-format
  go_tools buf
}

k8s() {
  go_tools helm kubeconform
}

image() {
  apt_install "${IMAGE_PACKAGES[@]}"
}

case "${1:-all}" in
  core) core ;;
  tools) tools ;;
  lint) lint ;;
  k8s) k8s ;;
  sanitize) sanitize ;;
  image) image ;;
  all) core; tools; sanitize ;;
  *) echo "usage: scripts/deps.sh core|tools|lint|k8s|sanitize|image|all" >&2; exit 2 ;;
esac
