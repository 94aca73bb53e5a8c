#!/usr/bin/env bash
# `make loadtest` on this machine: starts a local AWS emulator (moto) on loopback, applies the
# project's Terraform to it (terraform/examples/local), runs the harness with the release
# binaries, and always stops the emulator and removes its state, also on Ctrl-C or failure.
# Settings (environment): COUNT, RATE, CORRUPT, IMAGES, SIZES, MODE (direct|trigger), TIMEOUT,
# OUT_DIR, FUNCTION_TIMEOUT (the processor's timeout; the queue's visibility is 6x it), and for
# chaos runs CHAOS=1 with KILLS, S3_FAULTS, DUPLICATES, SEED.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../terraform/tests/local-aws.sh
source "$root/terraform/tests/local-aws.sh"
echo "loadtest: starting the local AWS emulator" >&2
start_local_aws "${MOTO_PORT:-5065}"

echo "loadtest: applying terraform/examples/local (about two minutes)" >&2
export TF_DATA_DIR="$work/.terraform" TF_IN_AUTOMATION=1
tf() { terraform -chdir="$root/terraform/examples/local" "$@"; }
placeholder="$root/terraform/tests/fixtures/bootstrap.zip"
tf init -input=false -no-color >/dev/null
tf apply -input=false -auto-approve -no-color -state="$work/terraform.tfstate" \
  -var "endpoint=$endpoint" -var "notification_mode=${MODE:-direct}" \
  -var "processor_zip=$placeholder" -var "trigger_zip=$placeholder" \
  -var "processor_timeout_seconds=${FUNCTION_TIMEOUT:-60}" >"$work/apply.log" || {
  tail -30 "$work/apply.log" >&2
  exit 1
}
tf show -json -state="$work/terraform.tfstate" >"$work/state.json" 2>/dev/null ||
  tf show -json "$work/terraform.tfstate" >"$work/state.json"

bin="${CARGO_TARGET_DIR:-$root/target}/release"
args=(--state "$work/state.json" --endpoint "$endpoint" --emulator-pid "$emulator_pid"
  --processor-bin "$bin/processor" --trigger-bin "$bin/trigger"
  --count "${COUNT:-40}" --corrupt "${CORRUPT:-0}" --timeout "${TIMEOUT:-120}"
  --out-dir "${OUT_DIR:-$root/target/loadtest}")
[ -n "${RATE:-}" ] && args+=(--rate "$RATE")
[ -n "${IMAGES:-}" ] && args+=(--images "$IMAGES")
[ -n "${SIZES:-}" ] && args+=(--sizes "$SIZES")
if [ -n "${CHAOS:-}" ]; then
  args+=(--chaos --kills "${KILLS:-5}" --s3-fault-share "${S3_FAULTS:-0.05}" --duplicate-share "${DUPLICATES:-0.05}")
  [ -n "${SEED:-}" ] && args+=(--seed "$SEED")
fi
"$bin/loadtest" "${args[@]}"
