"""pytest fixtures for sfdest's fake Salesforce servers (Account Engagement and Marketing Cloud).

One import gives a Python test suite what a Swift one has with `AccountEngagementFake.start()`:

    # conftest.py
    pytest_plugins = ["sfdest_fixture"]          # this file on sys.path (copy it, or add contrib/pytest)

    # test_my_service.py
    def test_sends_one_upsert(sfdest):
        my_service.sync(base_url=sfdest.pardot.url)          # your code, pointed at the fake
        sfdest.pardot.verify(method="POST", path="/api/v5/objects/prospects/do/upsertLatestByEmail", exactly=1)

The `sfdest` fixture starts one `sfdest fake` per test session (with --ready-file, so nothing parses stdout) and
resets both fakes before each test: state back to the seed, journal and faults cleared, clock back to wall time.

Settings (environment):
    SFDEST_BIN    the sfdest executable (default: `sfdest` on PATH; the release artefact from `make dist` works)
    SFDEST_SEED   a seed file (JSON or YAML) for both fakes
    SFDEST_ARGS   more `sfdest fake` arguments, split on spaces

Only the standard library is used, so the fixture adds no dependency to the suite that imports it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional

import pytest


class VerificationError(AssertionError):
    """A verify call found the wrong number of requests; `report` is the fake's answer (nearMisses, matches)."""

    def __init__(self, message: str, report: dict):
        super().__init__(message)
        self.report = report


class Fake:
    """One running fake and its control API (docs/fakes.md, "Control API")."""

    def __init__(self, url: str, advertised_url: str, token: Optional[str] = None):
        self.url = url.rstrip("/")
        self.advertised_url = advertised_url.rstrip("/")
        self._token = token

    # -- transport ---------------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None, query: Optional[dict] = None,
              expect: tuple = (200, 201)) -> tuple[int, Any]:
        url = self.url + "/__fake/" + path
        if query:
            url += "?" + urllib.parse.urlencode([(k, v) for k, v in query.items() if v is not None], doseq=True)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        answer = json.loads(text) if text else None
        if status not in expect:
            raise RuntimeError(f"{method} /__fake/{path}: {status} {answer}")
        return status, answer

    # -- state -------------------------------------------------------------------------------------------------

    def reset(self, to: str = "seed", **tenant) -> None:
        """Back to the seed (or `to="defaults"`); `business_unit_id=...` (Account Engagement) or `mid=...`
        (Marketing Cloud, a business unit with data of its own) resets that one tenant alone."""
        body: dict = {"to": to}
        if "business_unit_id" in tenant:
            body["businessUnitId"] = tenant.pop("business_unit_id")
        body.update(tenant)
        self._call("POST", "reset", body)

    def state(self, include_secrets: bool = False) -> dict:
        return self._call("GET", "state", query={"secrets": "include" if include_secrets else None})[1]

    def put_state(self, state: dict, merge: bool = False) -> None:
        """Replace the state, or with `merge=True` lay it over the current one (adding a custom field keeps
        the default client)."""
        self._call("PUT", "state", state, query={"mode": "merge" if merge else None})

    def settings(self, **changes) -> dict:
        """Change only the given settings (PATCH); with no arguments, read them."""
        if not changes:
            return self._call("GET", "settings")[1]
        return self._call("PATCH", "settings", changes)[1]

    def fault(self, **rule) -> dict:
        return self._call("POST", "faults", rule)[1]

    def clock(self, **body) -> dict:
        return self._call("POST", "clock", body)[1] if body else self._call("GET", "clock")[1]

    # -- journal -----------------------------------------------------------------------------------------------

    @staticmethod
    def _filters(method=None, path=None, status=None, since=None, header=None) -> dict:
        query: dict = {"method": method, "path": path, "status": status, "since": since}
        if header:
            query["header"] = [f"{name}:{value}" for name, value in header.items()]
        return query

    def journal(self, method=None, path=None, status=None, since=None, header=None, limit=None) -> list[dict]:
        """Requests the fake answered, oldest first. `path` is exact or a prefix ending in `*`; `status` is
        201 or "2xx"; `header` a dict of header values that must match."""
        query = self._filters(method, path, status, since, header)
        query["limit"] = limit
        return self._call("GET", "journal", query=query)[1]["entries"]

    def count(self, method=None, path=None, status=None, since=None, header=None) -> int:
        return self._call("GET", "journal/count", query=self._filters(method, path, status, since, header))[1]["count"]

    def verify(self, method=None, path=None, status=None, since=None, headers=None,
               exactly=None, at_least=None, at_most=None) -> dict:
        """Asserts how many matching requests the fake answered (default: at least one). On failure raises
        VerificationError whose message lists the nearest requests and what differs in each."""
        body: dict = {"method": method, "path": path, "status": status, "since": since, "headers": headers,
                      "exactly": exactly, "atLeast": at_least, "atMost": at_most}
        body = {key: value for key, value in body.items() if value is not None}
        status_code, report = self._call("POST", "journal/verify", body, expect=(200, 406))
        if status_code == 200:
            return report
        lines = [report["error"]]
        for entry in report.get("nearMisses", []) + report.get("matches", []):
            differences = "; ".join(entry.get("differences", [])) or "matches"
            lines.append(f"  #{entry['sequence']} {entry['method']} {entry['path']} -> {entry['status']}: {differences}")
        raise VerificationError("\n".join(lines), report)


class SfdestFakes:
    """Both fakes of one `sfdest fake` process."""

    def __init__(self, process: subprocess.Popen, ready: dict, folder: str):
        token = ready.get("controlToken")
        self.process = process
        self.ready = ready
        self.pardot = Fake(ready["pardot"]["url"], ready["pardot"]["advertisedUrl"], token)
        self.marketing_cloud = Fake(ready["marketingCloud"]["url"], ready["marketingCloud"]["advertisedUrl"], token)
        self._folder = folder

    def reset(self) -> None:
        self.pardot.reset()
        self.marketing_cloud.reset()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> "SfdestFakes":
        return self

    def __exit__(self, *_) -> None:
        self.stop()


def start_fakes(binary: Optional[str] = None, seed: Optional[str] = None, args: tuple = (),
                timeout: float = 20) -> SfdestFakes:
    """Starts `sfdest fake` on free ports and returns once both fakes listen (the ready file exists)."""
    binary = binary or os.environ.get("SFDEST_BIN") or shutil.which("sfdest")
    if not binary:
        raise RuntimeError("no sfdest executable: set SFDEST_BIN or put sfdest on PATH")
    folder = tempfile.mkdtemp(prefix="sfdest-fakes-")
    ready_file = os.path.join(folder, "ready.json")
    command = [binary, "fake", "--ready-file", ready_file, *args]
    if seed:
        command += ["--seed", seed]
    log = open(os.path.join(folder, "fake.log"), "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while not os.path.exists(ready_file):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            log.close()
            output = open(os.path.join(folder, "fake.log"), "rb").read().decode(errors="replace")
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"`{' '.join(command)}` did not become ready: {output}")
        time.sleep(0.01)  # the file is written atomically once both fakes listen
    log.close()
    with open(ready_file) as handle:
        ready = json.load(handle)
    return SfdestFakes(process, ready, folder)


@pytest.fixture(scope="session")
def sfdest_session():
    """One `sfdest fake` for the whole session (SFDEST_BIN, SFDEST_SEED, SFDEST_ARGS)."""
    fakes = start_fakes(seed=os.environ.get("SFDEST_SEED"), args=tuple(shlex.split(os.environ.get("SFDEST_ARGS", ""))))
    try:
        yield fakes
    finally:
        fakes.stop()


@pytest.fixture
def sfdest(sfdest_session):
    """Both fakes, reset before the test: seed state, empty journal, no faults, wall-clock time."""
    sfdest_session.reset()
    return sfdest_session
