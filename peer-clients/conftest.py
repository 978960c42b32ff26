"""Runs real, unchanged PyPI clients of Salesforce's APIs against `sfdest fake`.

One `sfdest fake` process serves both fakes over HTTPS with a throwaway test CA (make-certs.sh). The clients keep
their own host names (login.salesforce.com, acme.my.salesforce.com, pi.pardot.com, mc….auth.marketingcloudapis.com):
socket.getaddrinfo and socket.socket.connect are patched in this process so those names, on any port, reach
127.0.0.1 and the port of the fake that plays that host (see "host-name redirection" below). TLS is verified as
usual against the test CA (REQUESTS_CA_BUNDLE for requests, SSL_CERT_FILE for httpx and the ssl module), so a client
checks the certificate for the name it dialled.
"""

from __future__ import annotations

import atexit
import os
import pathlib
import selectors
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests

HERE = pathlib.Path(__file__).resolve().parent

# The tenants the fakes start with (README "The default tenant").
PARDOT_CLIENT_ID = "fake-client-id"
PARDOT_CLIENT_SECRET = "fake-client-secret"
PARDOT_USERNAME = "user@example.com"
PARDOT_PASSWORD = "fake-password"
PARDOT_REFRESH_TOKEN = "fake-refresh-token"
PARDOT_BUSINESS_UNIT = "0Uv000000000001AAA"
MC_CLIENT_ID = "fake-client-id"
MC_CLIENT_SECRET = "fake-client-secret"
MC_ACCOUNT_ID = "100000001"
# A tenant subdomain of the documented shape: 28 characters starting "mc" (reference §B1).
MC_SUBDOMAIN = "mc563885gzs27c5t9-63k636ttgm"

# The real endpoints, as the clients' own documentation writes them.
LOGIN_TOKEN_URL = "https://login.salesforce.com/services/oauth2/token"
SANDBOX_TOKEN_URL = "https://test.salesforce.com/services/oauth2/token"
MY_DOMAIN = "acme.my"  # simple-salesforce's `domain` argument: https://acme.my.salesforce.com
MY_DOMAIN_TOKEN_URL = "https://acme.my.salesforce.com/services/oauth2/token"
PARDOT_API = "https://pi.pardot.com/api/v5"
MC_AUTH_BASE = f"https://{MC_SUBDOMAIN}.auth.marketingcloudapis.com"
MC_TOKEN_URL = f"{MC_AUTH_BASE}/v2/token"


# --- TLS material -------------------------------------------------------------------------------------------------

def _tls_dir() -> pathlib.Path:
    """The folder run.sh made the CA in (PEER_TLS_DIR), or a new one made here when pytest runs on its own."""
    given = os.environ.get("PEER_TLS_DIR")
    if given and (pathlib.Path(given) / "ca.pem").exists():
        return pathlib.Path(given)
    folder = pathlib.Path(tempfile.mkdtemp(prefix="peer-clients-tls-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    subprocess.run(["bash", str(HERE / "make-certs.sh"), str(folder)], check=True)
    os.environ["PEER_TLS_DIR"] = str(folder)
    return folder


TLS_DIR = _tls_dir()
CA_CERT = str(TLS_DIR / "ca.pem")
# Every client finds the test CA the way it finds any CA bundle: requests (and so simple-salesforce,
# requests-oauthlib, authlib's requests session, tap-pardot) reads REQUESTS_CA_BUNDLE; httpx (pysfmc, authlib's
# httpx clients) and the ssl module read SSL_CERT_FILE. Set before any client builds an SSL context.
os.environ["REQUESTS_CA_BUNDLE"] = CA_CERT
os.environ["SSL_CERT_FILE"] = CA_CERT
os.environ.pop("CURL_CA_BUNDLE", None)  # requests would prefer it over REQUESTS_CA_BUNDLE


# --- host-name redirection ----------------------------------------------------------------------------------------
#
# A Salesforce host name resolves to a loopback address that stands for one fake (127.0.0.2 the Account Engagement
# fake, which also plays the OAuth hosts; 127.0.0.3 the Marketing Cloud fake), and a connect to that address, on
# whatever port the client asked for (443), goes to 127.0.0.1 and that fake's port. The two patches are needed
# together: requests and httpx's sync transport connect to the (address, port) getaddrinfo returns, but anyio (httpx's
# async transport) keeps only the address from getaddrinfo and connects to the URL's port.

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_stand_ins = {"pardot": "127.0.0.2", "marketing-cloud": "127.0.0.3"}
_targets: dict[str, tuple[str, int]] = {}  # stand-in address -> (127.0.0.1, fake's port)


def _fake_for(host: str) -> str | None:
    host = host.lower().rstrip(".")
    if host in ("login.salesforce.com", "test.salesforce.com", "pi.pardot.com", "pi.demo.pardot.com"):
        return "pardot"
    if host.endswith(".my.salesforce.com"):
        return "pardot"
    if host.endswith(".marketingcloudapis.com"):
        return "marketing-cloud"
    return None


def _redirecting_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    name = host.decode("idna") if isinstance(host, bytes) else host
    fake = _fake_for(name) if isinstance(name, str) else None
    if fake is not None:
        return _real_getaddrinfo(_stand_ins[fake], port, socket.AF_INET, type, proto, flags)
    if isinstance(name, str) and name.lower().rstrip(".").endswith(
            ("salesforce.com", "pardot.com", "exacttargetapis.com", "exacttarget.com", "force.com")):
        # A Salesforce host no fake plays: never let it leave the machine.
        raise socket.gaierror(socket.EAI_NONAME, f"peer-clients: {name} is not redirected to a fake")
    return _real_getaddrinfo(host, port, family, type, proto, flags)


def _redirected(address):
    if isinstance(address, tuple) and len(address) == 2 and address[0] in _targets:
        return _targets[address[0]]
    return address


def _redirecting_connect(self, address):
    return _real_connect(self, _redirected(address))


def _redirecting_connect_ex(self, address):
    return _real_connect_ex(self, _redirected(address))


# --- the fakes ----------------------------------------------------------------------------------------------------

class Fakes:
    """The running `sfdest fake` and its control API (README "Control API")."""

    def __init__(self, pardot: str, marketing_cloud: str):
        self.pardot = pardot.rstrip("/")
        self.marketing_cloud = marketing_cloud.rstrip("/")
        self.control = requests.Session()
        self.control.verify = CA_CERT

    def base(self, which: str) -> str:
        return {"pardot": self.pardot, "marketing-cloud": self.marketing_cloud}[which]

    def port(self, which: str) -> int:
        return int(self.base(which).rsplit(":", 1)[1])

    def _call(self, method: str, which: str, path: str, **kwargs):
        response = self.control.request(method, self.base(which) + path, timeout=10, **kwargs)
        assert response.status_code < 300, f"{method} {path} on {which}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def reset(self) -> None:
        for which in ("pardot", "marketing-cloud"):
            self._call("POST", which, "/__fake/reset")

    def state(self, which: str) -> dict:
        return self._call("GET", which, "/__fake/state")

    def put_state(self, which: str, state: dict) -> None:
        self._call("PUT", which, "/__fake/state", json=state)

    def journal(self, which: str) -> list[dict]:
        body = self._call("GET", which, "/__fake/journal")
        return body["entries"] if isinstance(body, dict) else body

    def requests_to(self, which: str, path: str) -> list[dict]:
        return [entry for entry in self.journal(which) if entry.get("path") == path]

    def fault(self, which: str, **rule) -> dict:
        return self._call("POST", which, "/__fake/faults", json=rule)

    def clock(self, which: str, **body) -> dict:
        return self._call("POST", which, "/__fake/clock", json=body)


def _start_fakes(binary: str) -> tuple[subprocess.Popen, dict[str, str]]:
    command = [binary, "fake", "--pardot-port", "0", "--marketing-cloud-port", "0", "--host", "127.0.0.1",
               "--tls-cert", str(TLS_DIR / "server.pem"), "--tls-key", str(TLS_DIR / "server.key")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # Raw reads on the pipe: a buffered readline could swallow the second line while select() waits for more.
    output = b""
    urls: dict[str, str] = {}
    deadline = time.monotonic() + 20
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while len(urls) < 2:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"`{' '.join(command)}` did not print both base URLs: {output!r}")
                if selector.select(timeout=0.5):
                    output += os.read(process.stdout.fileno(), 4096)
                for line in output.decode(errors="replace").splitlines():
                    name, _, url = line.strip().partition(": ")
                    if name in ("pardot", "marketing-cloud") and url.startswith("https://"):
                        urls[name] = url
    except BaseException:  # a pytest-timeout or Ctrl-C too: never leave the fakes running
        process.kill()
        process.wait()
        raise
    return process, urls


@pytest.fixture(scope="session")
def fakes():
    binary = os.environ.get("SFDEST_BIN") or str(HERE.parent / ".build" / "debug" / "sfdest")
    if not os.access(binary, os.X_OK):
        pytest.exit(f"no sfdest binary at {binary} (build it, or set SFDEST_BIN)", returncode=2)
    try:
        process, urls = _start_fakes(binary)
    except RuntimeError as error:
        pytest.exit(str(error), returncode=2)
    fakes = Fakes(urls["pardot"], urls["marketing-cloud"])
    for which, stand_in in _stand_ins.items():
        _targets[stand_in] = ("127.0.0.1", fakes.port(which))
    socket.getaddrinfo = _redirecting_getaddrinfo
    socket.socket.connect = _redirecting_connect
    socket.socket.connect_ex = _redirecting_connect_ex
    try:
        yield fakes
    finally:
        socket.getaddrinfo = _real_getaddrinfo
        socket.socket.connect = _real_connect
        socket.socket.connect_ex = _real_connect_ex
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


@pytest.fixture(autouse=True)
def fresh_fakes(fakes):
    """Every test starts from the default tenants, with empty journals and no faults."""
    fakes.reset()
    yield fakes
