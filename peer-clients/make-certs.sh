#!/usr/bin/env bash
# Makes a throwaway test CA and a server certificate signed by it in the folder $1 (created if missing):
# ca.pem, ca.key, server.pem, server.key. The server certificate names every host a real client of
# Salesforce's APIs dials, so that an unchanged client, whose host names conftest.py sends to the fakes,
# verifies it as it would verify Salesforce's own.
set -euo pipefail
dir=${1:?usage: make-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
curve=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${curve[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=sfdest peer-clients test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" 2>/dev/null
openssl req "${curve[@]}" -keyout server.key -out server.csr -subj "/CN=login.salesforce.com" 2>/dev/null
cat > ext.cnf <<'CNF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=DNS:login.salesforce.com,DNS:test.salesforce.com,DNS:*.my.salesforce.com,DNS:pi.pardot.com,DNS:pi.demo.pardot.com,DNS:*.auth.marketingcloudapis.com,DNS:*.rest.marketingcloudapis.com,DNS:*.soap.marketingcloudapis.com,DNS:localhost,IP:127.0.0.1
CNF
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
  -extfile ext.cnf 2>/dev/null
rm -f server.csr ca.srl
