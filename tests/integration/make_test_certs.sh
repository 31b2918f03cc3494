#!/usr/bin/env bash
# Test certificates made with OpenSSL for the transport tests, never used anywhere else:
#   make_test_certs.sh DIR
# DIR/ca.pem (+ca.key)             a test CA
# DIR/server.pem, server.key       signed by it, for 127.0.0.1 and localhost (a service, a broker)
# DIR/client.pem, client.key       signed by it (a client presenting a certificate)
# DIR/other-ca.pem, other.pem/.key a second CA and a client signed by that one (must be refused)
# DIR/server-keystore.pem          server.key then server.pem (Kafka's PEM key store)
# Keys are unencrypted PKCS#8 (what both gRPC and Kafka read).
set -euo pipefail
D=${1:?usage: make_test_certs.sh DIR}
mkdir -p "$D"
cd "$D"
ca() {  # ca NAME SUBJECT
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 2 -subj "$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() {  # leaf NAME CA SUBJECT EXTENSIONS
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$3" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 2 \
    -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "/CN=Jinguo test CA"
ca other-ca "/CN=Another CA"
leaf server ca "/CN=localhost" \
  "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
leaf client ca "/CN=jinguo-reporting" "extendedKeyUsage=clientAuth"
leaf other other-ca "/CN=intruder" "extendedKeyUsage=clientAuth"
cat server.key server.pem >server-keystore.pem
