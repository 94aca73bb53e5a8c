#!/usr/bin/env bash
# The provider lock route, tested offline: the repository commits no .terraform.lock.hcl, so
# every machine's first `terraform init` writes one for its own platform. This script shows why:
#   1. an offline init from the mirror writes a lock with one h1: hash, this platform's only;
#   2. that lock refuses another package of the same version (as another platform's is), with
#      the error macOS, linux_arm64 and Windows users met when such a lock was committed;
#   3. without a committed lock, the same init accepts that package and records its hash.
# Usage: lock_route.sh MIRROR (a filesystem mirror holding hashicorp/aws).
set -euo pipefail
mirror=${1:?usage: lock_route.sh MIRROR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "lock_route: $*" >&2; exit 1; }

if git -C "$root" ls-files --error-unmatch .terraform.lock.hcl >/dev/null 2>&1; then
  fail "terraform/.terraform.lock.hcl is committed: a lock made on one platform breaks init on the others"
fi

# A copy of the root module, with no lock and no .terraform folder.
mkdir "$work/stack"
cp "$root"/*.tf "$work/stack/"
cp -r "$root/modules" "$work/stack/"
cli() { # $1: mirror folder
  printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n    include = ["registry.terraform.io/*/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n' "$1" >"$work/cli.tfrc"
}
init() { TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_DATA_DIR="$work/data" terraform -chdir="$work/stack" init -backend=false -input=false -no-color; }

# 1. Offline init writes a lock for this platform alone.
cli "$mirror"
init >"$work/init1.log" 2>&1 || { cat "$work/init1.log" >&2; fail "offline init failed"; }
lock="$work/stack/.terraform.lock.hcl"
[ -f "$lock" ] || fail "init wrote no lock"
h1=$(grep -c '"h1:' "$lock" || true)
zh=$(grep -c '"zh:' "$lock" || true)
[ "$h1" = 1 ] && [ "$zh" = 0 ] || fail "expected one h1: hash and no zh: hash from the mirror, found $h1 h1: and $zh zh:"
echo "lock_route: offline init wrote a lock with 1 h1: hash (this platform's) and no zh: hashes"

# 2. Another package of the same version (another platform's has other bytes) is refused by it.
platform_dir=$(find "$mirror/registry.terraform.io/hashicorp/aws" -mindepth 2 -maxdepth 2 -type d | head -n 1)
version=$(basename "$(dirname "$platform_dir")")
other="$work/other-mirror/registry.terraform.io/hashicorp/aws/$version/$(basename "$platform_dir")"
mkdir -p "$other"
for file in "$platform_dir"/*; do ln -s "$file" "$other/"; done
echo "stands in for another platform's package" >"$other/PLATFORM.txt"
cli "$work/other-mirror"
rm -rf "$work/data"
if init >"$work/init2.log" 2>&1; then fail "a lock with one platform's hash accepted another package"; fi
tr -s '\n ' '  ' <"$work/init2.log" | grep -q "doesn't match any of the checksums" ||
  { cat "$work/init2.log" >&2; fail "init failed for another reason than the checksum"; }
echo "lock_route: that lock refuses another platform's package (\"doesn't match any of the checksums\")"

# 3. With no lock, init accepts it and records its hash.
rm -f "$lock"
init >"$work/init3.log" 2>&1 || { cat "$work/init3.log" >&2; fail "init without a lock failed"; }
grep -q '"h1:' "$lock" || fail "init without a lock wrote no hash"
echo "lock_route: with no committed lock, each platform's first init writes its own"
