#!/usr/bin/env bash
# The artefact as a new user's CI job uses it, following only docs/ci-other-languages.md,
# on this machine with the Swift toolchain's folder hidden: a private mount namespace (`unshare -rm`) puts an empty
# tmpfs over it, so a runtime library the artefact still needed from there would fail it.
#
# Usage: check.sh ARTEFACT   (ARTEFACT.sha256 beside it; PYTHON is a Python with pytest, SWIFT the swift driver)
#
# In the namespace, from an empty folder, as that page's job does:
#   1. download the artefact and its checksum (curl, from a file:// URL here), check it, make it executable;
#   2. start the fakes with --ready-file, wait on the file, read the Account Engagement URL; a curl smoke test gets a
#      token and upserts a prospect, and the control API verifies that exactly that request arrived;
#   3. the pytest job: the fixture copied next to a conftest.py, a service that calls the fake, a test that
#      verifies its requests; then the fixture's own suite (contrib/pytest/tests) against the artefact.
set -euo pipefail

artefact=$(readlink -f "${1:?usage: check.sh ARTEFACT}")
repository=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-$repository/peer-clients/.venv-peer/bin/python}
# Absolute, but not resolved: a venv's python is a symlink whose own path is what makes it the venv's.
case "$python" in /*) ;; */*) python="$PWD/$python" ;; *) python=$(command -v "$python") ;; esac
swift=${SWIFT:-swift}
name=$(basename "$artefact")
fail() { echo "dist-check: $*" >&2; exit 1; }

[ -x "$artefact" ] || fail "no artefact at $artefact"
[ -f "$artefact.sha256" ] || fail "no checksum file $artefact.sha256"
"$python" -c 'import pytest' 2>/dev/null || fail "$python has no pytest (make peer-clients makes that venv)"
if ldd "$artefact" | grep -q 'libswift'; then fail "$name links a libswift* library:"$'\n'"$(ldd "$artefact")"; fi
# libmicrohttpd 1.0.1 is linked in (Debian 12's libmicrohttpd12 is 0.9.75): docs/ci-other-languages.md names libgnutls30 only.
if ldd "$artefact" | grep -q 'libmicrohttpd'; then fail "$name links libmicrohttpd dynamically:"$'\n'"$(ldd "$artefact")"; fi
# The folder holding the toolchain (/opt/swift for /opt/swift/usr/bin/swift), hidden below.
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v "$swift")")")")")
echo "dist-check: $name: checksum file present, no libswift* or libmicrohttpd linked; running it with $toolchain hidden"

unshare -rm bash -s -- "$artefact" "$name" "$toolchain" "$python" "$repository" <<'JOB'
set -euo pipefail
artefact=$1 name=$2 toolchain=$3 python=$4 repository=$5
fail() { echo "dist-check: $*" >&2; exit 1; }
mount -t tmpfs none "$toolchain"
[ -z "$(ls -A "$toolchain")" ] || fail "$toolchain is still visible"
job=$(mktemp -d)
trap 'rm -rf "$job"' EXIT
cd "$job"

# 1. Download, check, make executable (docs/ci-other-languages.md: "A job downloads it, starts the fakes, and waits for the ready file").
curl -fsSLO "file://$artefact"
curl -fsSLO "file://$artefact.sha256"
sha256sum --check "$name.sha256" && chmod +x "$name"

# 2. Start, wait for the ready file, read the URL; a curl smoke test verified through the control API.
"./$name" fake --ready-file "$job/fakes.json" > "$job/fakes.log" 2>&1 &
fakes=$!
for _ in $(seq 100); do [ -s "$job/fakes.json" ] || ! kill -0 "$fakes" 2>/dev/null && break; sleep 0.1; done
[ -s "$job/fakes.json" ] || { cat "$job/fakes.log" >&2; fail "no ready file after 10 s"; }
PARDOT_URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pardot"]["url"])' "$job/fakes.json")
token=$(curl -fsS "$PARDOT_URL/services/oauth2/token" -d grant_type=client_credentials \
    -d client_id=fake-client-id -d client_secret=fake-client-secret |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -fsS "$PARDOT_URL/api/v5/objects/prospects/do/upsertLatestByEmail" -H "Authorization: Bearer $token" \
    -H "Pardot-Business-Unit-Id: 0Uv000000000001AAA" -H "Content-Type: application/json" \
    -d '{"matchEmail": "smoke@example.com", "prospect": {"firstName": "Smoke"}}' > /dev/null
curl -fsS "$PARDOT_URL/__fake/journal/verify" -H "Content-Type: application/json" \
    -d '{"method": "POST", "path": "/api/v5/objects/prospects/do/upsertLatestByEmail", "status": "2xx", "exactly": 1}' > /dev/null \
    || fail "the control API did not verify the smoke test's upsert"
kill -TERM "$fakes"
wait "$fakes" || fail "the fakes did not stop cleanly on SIGTERM"
echo "dist-check: downloaded, checked, started, smoke-tested and stopped with the toolchain hidden"

# 3. The pytest job of docs/ci-other-languages.md: the fixture beside a conftest.py, a service under test, a test that verifies it.
export SFDEST_BIN="$job/$name"
mkdir "$job/ci" && cd "$job/ci"
cp "$repository/contrib/pytest/sfdest_fixture.py" .
echo 'pytest_plugins = ["sfdest_fixture"]' > conftest.py
cat > my_service.py <<'PY'
"""A service that delivers one profile to Account Engagement, as a user's service under test would."""
import json
import urllib.parse
import urllib.request


def sync(salesforce_login_url, email):
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "fake-client-id",
                                   "client_secret": "fake-client-secret"}).encode()
    with urllib.request.urlopen(salesforce_login_url + "/services/oauth2/token", form) as answer:
        token = json.load(answer)["access_token"]
    body = json.dumps({"matchEmail": email, "prospect": {"firstName": "Ana"}}).encode()
    request = urllib.request.Request(
        salesforce_login_url + "/api/v5/objects/prospects/do/upsertLatestByEmail", body,
        {"Authorization": "Bearer " + token, "Pardot-Business-Unit-Id": "0Uv000000000001AAA",
         "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return answer.status
PY
cat > test_sync.py <<'PY'
import my_service


def test_sync_sends_one_upsert(sfdest):
    assert my_service.sync(salesforce_login_url=sfdest.pardot.url, email="ana@example.com") == 201
    sfdest.pardot.verify(method="POST", path="/api/v5/objects/prospects/do/upsertLatestByEmail", status="2xx", exactly=1)
    assert sfdest.pardot.count(path="/api/v5/*") == 1


def test_each_test_starts_clean(sfdest):
    assert sfdest.pardot.count() == 0
PY
"$python" -m pytest -q -p no:cacheprovider
"$python" -m pytest -q -p no:cacheprovider -c "$repository/contrib/pytest/pytest.ini" "$repository/contrib/pytest"
echo "dist-check: the pytest job of docs/ci-other-languages.md passed against $name with the toolchain hidden"
JOB
