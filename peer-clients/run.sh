#!/usr/bin/env bash
# Runs real PyPI clients of Salesforce's APIs, unchanged, against `sfdest fake` over TLS.
#
#   peer-clients/run.sh [pytest arguments…]
#
# Environment:
#   SFDEST_BIN   the sfdest binary (default: ../.build/debug/sfdest, relative to this folder)
#   PYTHON       the interpreter that makes the venv (default: python3; 3.10 or newer)
#   PEER_VENV    the throwaway venv (default: peer-clients/.venv-peer); remade when requirements.txt or requirements-soap.txt changes
#
# It makes the venv and installs requirements.txt and requirements-soap.txt (pinned) when needed, makes a throwaway test CA and a server
# certificate for Salesforce's host names in a temporary folder (make-certs.sh), and runs pytest. Exit status is
# pytest's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

python=${PYTHON:-python3}
venv=${PEER_VENV:-$here/.venv-peer}
stamp="$venv/.requirements.sha256"
want=$(cat requirements.txt requirements-soap.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "peer-clients: installing requirements.txt and requirements-soap.txt into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r requirements.txt
  # FuelSDK's suds-jurko builds only with setuptools<58 (requirements-soap.txt says why).
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input 'setuptools<58' wheel
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-build-isolation --no-deps \
    -r requirements-soap.txt
  echo "$want" > "$stamp"
fi

export SFDEST_BIN="${SFDEST_BIN:-$here/../.build/debug/sfdest}"
if [ ! -x "$SFDEST_BIN" ]; then
  echo "peer-clients: no sfdest binary at $SFDEST_BIN (swift build --product sfdest, or set SFDEST_BIN)" >&2
  exit 2
fi

tls=$(mktemp -d "${TMPDIR:-/tmp}/peer-clients-tls.XXXXXX")
trap 'rm -rf "$tls"' EXIT
bash "$here/make-certs.sh" "$tls"
export PEER_TLS_DIR="$tls"
export REQUESTS_CA_BUNDLE="$tls/ca.pem" SSL_CERT_FILE="$tls/ca.pem"
unset CURL_CA_BUNDLE
# No client may reach the network through a proxy: the fakes are on loopback.
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy
export NO_PROXY='*'
# pysfmc's settings also read a .env file in the working folder; keep it from picking up anything.
cd "$here"
"$venv/bin/python" -m pytest "$@"
