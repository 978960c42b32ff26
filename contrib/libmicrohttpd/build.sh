#!/usr/bin/env bash
# Builds libmicrohttpd 1.0.1 from Debian's source package (trixie's libmicrohttpd_1.0.1-4: the upstream tarball, whose
# library code Debian does not patch) as a static library under PREFIX, with a pkg-config file that SwiftPM reads
# through PKG_CONFIG_PATH (the Makefile sets it).
#
# Why not Debian 12's libmicrohttpd-dev 0.9.75: on a later request of a keep-alive connection, and on every HTTPS
# request, 0.9.75 answers a Content-Length it cannot parse with its status line and headers written twice, and
# refuses a valid `Content-Length: 5 ` (RFC 9110 §5.5 allows the trailing whitespace). 1.0.1 answers each once and
# accepts it (docs/http-layer.md; HTTPHardeningTests). Its library is ABI-compatible (soname 12), but the
# binary package of trixie needs trixie's libc, hence a build from source. Linked statically, the release artefact
# needs only libgnutls30 at run time.
#
# One patch is applied (answer-malformed-request-lines.patch): 1.0.1 closes without an answer a malformed request line
# whose method is not one it knows (GET to DELETE), taking the peer for one that does not speak HTTP. RFC 9112 §3 says
# a server SHOULD answer an invalid request line with 400 (or 301); issue #13 asks for one 400 on every such line. The
# patch turns the silent closes of a malformed request line in connection.c into answers: where libmicrohttpd already
# answers when the method is known (a malformed line, a bare CR or LF, too many spaces, a line too long), that same
# 400 or 414 with its message; where it closes whatever the method (a leading space, a NUL or other control character,
# a target with spaces too long to redirect), a 400 with its "malformed request" message. Nothing else changes.
#
# Where the source comes from: the machine's own apt configuration, by package name. `apt-get source` fetches
# libmicrohttpd 1.0.1-4 from trixie's Sources index on the Debian archive this machine's apt is configured with (its
# mirror, proxy and keys: the index's signature is checked against the system's Debian archive keyring), in a
# private apt folder (no root, the system's lists untouched); the tarball's checksum is then checked as well. So a
# mirror, a proxy or an air-gapped cache that apt already uses serves this build too, and no host is named here.
#
# Usage: build.sh PREFIX    (about 20 s on two cores; nothing is done when PREFIX already holds the library built from
# this recipe: the version, the tarball's checksum and the patch, recorded in PREFIX/recipe)
# Offline, or when the archive no longer holds this version: LIBMICROHTTPD_TARBALL=/path/to/the/tarball (the same
# bytes, which the checksum below decides; GNU's libmicrohttpd-1.0.1.tar.gz is expected to be them, not checked here).
set -euo pipefail
prefix="${1:?usage: build.sh PREFIX}"
version=1.0.1
debian_version="${version}-4"
suite=trixie
tarball="libmicrohttpd_${version}.orig.tar.gz"
# The SHA-256 that trixie's Sources index lists for this file (libmicrohttpd 1.0.1-4).
sha256=a89e09fc9b4de34dde19f4fcb4faaa1ce10299b9908db1132bbfa1de47882b94

here="$(cd "$(dirname "$0")" && pwd)"
patch_file="$here/answer-malformed-request-lines.patch"
recipe="${version} ${sha256} $(sha256sum "$patch_file" | cut -d' ' -f1)"
if [ -f "$prefix/lib/libmicrohttpd.a" ] && [ -f "$prefix/lib/pkgconfig/libmicrohttpd.pc" ] \
    && [ "$(cat "$prefix/recipe" 2>/dev/null)" = "$recipe" ]; then
    exit 0
fi
rm -rf "$prefix"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "libmicrohttpd: building ${version} from Debian's source package into ${prefix}"
# The archive URIs apt is configured with: from its index targets once `apt-get update` has run, else read from its
# sources files (one-line `deb URI ...` and deb822 `URIs:`), for a machine whose lists were never downloaded.
configured_archives() {
    local targets
    targets="$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null || true)"
    if [ -z "$targets" ]; then
        local list parts
        eval "$(apt-config shell list Dir::Etc::sourcelist/f parts Dir::Etc::sourceparts/d)"
        targets="$(cat "$list" "$parts"/*.list 2>/dev/null | sed -n -E 's/^deb(-src)?[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\3/p' || true)
$(cat "$parts"/*.sources 2>/dev/null | sed -n -E 's/^URIs:[[:space:]]*//p' | tr ' ' '\n' || true)"
    fi
    tr ' ' '\n' <<<"$targets" | sed -E '/^$/d; s#/*$#/#' | sort -u
}

# Fetches the source package into $work through apt, from each Debian archive apt is configured with until one
# holds it (the security archive last).
fetch_source_package() {
    local apt="$work/apt" uri
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$keyring" ] || { echo "libmicrohttpd: no Debian archive keyring ($keyring)" >&2; return 1; }
    local all uris
    all="$(configured_archives)"
    uris="$(grep -v -- '-security' <<<"$all" || true) $(grep -- '-security' <<<"$all" || true)"
    for uri in $uris; do
        echo "deb-src [signed-by=$keyring] $uri $suite main" >"$apt/sources.list"
        local options=(-qq -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
            -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1
            -o APT::Sandbox::User="$(id -un)")
        if apt-get "${options[@]}" update >"$work/apt.log" 2>&1 \
            && (cd "$work" && apt-get "${options[@]}" source --download-only "libmicrohttpd=${debian_version}" \
                >>"$work/apt.log" 2>&1) && [ -f "$work/$tarball" ]; then
            return 0
        fi
    done
    tail -5 "$work/apt.log" >&2 2>/dev/null || true
    return 1
}

if [ -n "${LIBMICROHTTPD_TARBALL:-}" ]; then
    cp "$LIBMICROHTTPD_TARBALL" "$work/$tarball"
else
    fetch_source_package || {
        echo "libmicrohttpd: apt could not fetch the source package libmicrohttpd=${debian_version} (${suite}) from the" \
            "Debian archive it is configured with (set LIBMICROHTTPD_TARBALL to a local copy of ${tarball})" >&2
        exit 1
    }
fi
echo "${sha256}  $work/$tarball" | sha256sum --check --quiet
tar -xzf "$work/$tarball" -C "$work"
cd "$work/libmicrohttpd-${version}"
patch --quiet -p1 <"$patch_file"
# As Debian builds it (hardening: MHD handles untrusted data), but static and position-independent, so that it links
# into the fakes' executables; no docs, examples or tools. TLS through GnuTLS, as Debian's.
CFLAGS="-O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2" \
    ./configure --quiet --prefix="$prefix" --disable-shared --enable-static --with-pic --enable-https \
    --disable-doc --disable-examples --disable-tools --disable-curl >"$work/configure.log" 2>&1 \
    || { tail -30 "$work/configure.log"; exit 1; }
make -j"$(nproc)" -s >"$work/make.log" 2>&1 || { tail -30 "$work/make.log"; exit 1; }
make -s install >"$work/install.log" 2>&1 || { tail -30 "$work/install.log"; exit 1; }
# A static library needs its own dependencies on the link line: GnuTLS through pkg-config, and pthreads.
pc="$prefix/lib/pkgconfig/libmicrohttpd.pc"
sed -i -e 's/^Requires:.*/Requires: gnutls/' -e '/^Requires.private:/d' -e '/^Libs.private:/d' \
    -e 's/^Libs: .*/& -lpthread/' "$pc"
echo "$recipe" >"$prefix/recipe"
echo "libmicrohttpd: ${version} (patched: answer-malformed-request-lines.patch) installed in ${prefix}"
