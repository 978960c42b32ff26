#!/usr/bin/env bash
# Links the debug build's sfdest again with the Swift runtime linked in: the release artefact's shape (`make dist`)
# from the debug build's object files, in seconds rather than the release build's ~12 minutes from a clean clone,
# so that `make test` can check the artefact path (contrib/dist/check.sh) on every run.
#
# Usage: static-debug.sh OUTPUT   (after `swift build --product sfdest`; SWIFT names the swift driver)
#
# Why not `swift build --static-swift-stdlib`: it relinks the same objects, but they were compiled against the
# toolchain's shared Foundation, whose module names only the libraries the shared one needs; linked statically,
# Foundation's ICU and CoreFoundation archives go missing (undefined swift_uset_*, kCF*), the link fails and SwiftPM
# deletes .build/debug/sfdest. So this takes SwiftPM's own link command for sfdest from its build manifest, writes
# elsewhere, and adds -static-stdlib and every static archive of the toolchain in one group (an archive nothing
# refers to adds nothing).
set -euo pipefail

output=${1:?usage: static-debug.sh OUTPUT}
swift=${SWIFT:-swift}
bin=$("$swift" build --show-bin-path)
manifest=$(dirname "$(dirname "$bin")")/debug.yaml
driver=$(readlink -f "$(command -v "$swift")")
static=$(dirname "$(dirname "$driver")")/lib/swift_static/linux
[ -f "$manifest" ] || { echo "static-debug: no $manifest (run swift build --product sfdest first)" >&2; exit 2; }
[ -d "$static" ] || { echo "static-debug: no static Swift runtime at $static" >&2; exit 2; }

mkdir -p "$(dirname "$output")"
python3 - "$manifest" "$bin/sfdest" "$(readlink -f "$(dirname "$output")")/$(basename "$output")" "$static" <<'PY'
import glob, json, os, subprocess, sys

manifest, product, output, static = sys.argv[1:]
# The manifest is YAML, but each command's lists are JSON on one line: find the command whose output is sfdest.
args = None
with open(manifest) as lines:
    outputs = None
    for line in lines:
        line = line.strip()
        if line.startswith("outputs: "):
            outputs = json.loads(line[len("outputs: "):])
        elif line.startswith("args: ") and outputs == [product]:
            args = json.loads(line[len("args: "):])
            break
if args is None:
    sys.exit(f"static-debug: no link command for {product} in {manifest}")

linked = []
skip = 0
for position, arg in enumerate(args):
    if skip:
        skip -= 1
        continue
    if arg == "-o":
        linked += ["-o", output]
        skip = 1
    elif arg == "-Xlinker" and position + 1 < len(args) and args[position + 1].startswith("-rpath"):
        skip = 1  # the shared runtime's search path: nothing to find there now
    elif arg != "-v":
        linked.append(arg)
archives = sorted(glob.glob(os.path.join(static, "lib*.a")))
libraries = ["-l" + os.path.basename(path)[3:-2] for path in archives]
linked += ["-static-stdlib", "-Xlinker", "--start-group"] + libraries + ["-Xlinker", "--end-group"]
sys.exit(subprocess.call(linked))
PY
cd "$(dirname "$output")" && sha256sum "$(basename "$output")" > "$(basename "$output").sha256"
