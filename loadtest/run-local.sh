#!/usr/bin/env bash
# `make loadtest` on this machine: starts a local AWS emulator (moto) on loopback, deploys the
# project's stack to it (Terraform's terraform/examples/local, or the CDK app with DEPLOYER=cdk),
# runs the harness with the release binaries, and always stops the emulator and removes its
# state, also on Ctrl-C or failure.
# Settings (environment): DEPLOYER (terraform|cdk), CONFIG (the settings file, absolute; default
# config/pipeline.json), COUNT, RATE, CORRUPT, IMAGES, SIZES, MODE (direct|trigger), TIMEOUT,
# OUT_DIR, HARNESS_DIR (where the loadtest and redrive binaries are; default target/tools),
# FUNCTION_TIMEOUT (the processor's timeout; the queue's visibility is 6x it), and for
# chaos runs CHAOS=1 with KILLS, S3_FAULTS, DUPLICATES, SEED, and in trigger mode SQS_FAULTS and
# SQS_FAULT_BURST (seconds in which every SendMessageBatch of the trigger fails). ROUTE_CHECK=1
# then runs the CDN's format router over the renditions left in the emulator.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../terraform/tests/local-aws.sh
source "$root/terraform/tests/local-aws.sh"
echo "loadtest: starting the local AWS emulator" >&2
start_local_aws "${MOTO_PORT:-5065}"

placeholder="$root/terraform/tests/fixtures/bootstrap.zip"
config="${CONFIG:-$root/config/pipeline.json}"
name=image-pipeline-local
case "${DEPLOYER:-terraform}" in
  terraform)
    echo "loadtest: applying terraform/examples/local (about two minutes)" >&2
    export TF_DATA_DIR="$work/.terraform" TF_IN_AUTOMATION=1
    tf() { terraform -chdir="$root/terraform/examples/local" "$@"; }
    tf init -input=false -no-color >/dev/null
    tf apply -input=false -auto-approve -no-color -state="$work/terraform.tfstate" \
      -var "endpoint=$endpoint" -var "notification_mode=${MODE:-direct}" -var "name=$name" \
      -var "processor_zip=$placeholder" -var "trigger_zip=$placeholder" \
      -var "processor_timeout_seconds=${FUNCTION_TIMEOUT:-60}" -var "config_file=$config" >"$work/apply.log" || {
      tail -30 "$work/apply.log" >&2
      exit 1
    }
    tf show -json -state="$work/terraform.tfstate" >"$work/state.json" 2>/dev/null ||
      tf show -json "$work/terraform.tfstate" >"$work/state.json"
    tf output -json -state="$work/terraform.tfstate" >"$work/outputs.json"
    ;;
  cdk)
    echo "loadtest: deploying the CDK stack (cdk/) to the emulator" >&2
    # The same settings file and local switches as terraform/examples/local.
    (cd "$root/cdk" && CDK_DEFAULT_ACCOUNT=123456789012 npx cdk synth --no-notices --quiet -o "$work/cdk.out" \
      -c region=us-east-1 -c "local_endpoint=$endpoint" -c "notification_mode=${MODE:-direct}" -c "name=$name" \
      -c maximum_concurrency=2 -c "processor_timeout_seconds=${FUNCTION_TIMEOUT:-60}" \
      -c "processor_zip=$placeholder" -c "trigger_zip=$placeholder" -c "config=$config") >"$work/synth.log" 2>&1 || {
      tail -30 "$work/synth.log" >&2
      exit 1
    }
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
    python3 "$root/cdk/scripts/deploy_local.py" "$work/cdk.out" "$name" "$endpoint" >&2
    AWS_ENDPOINT_URL="$endpoint" python3 "$root/cdk/scripts/describe_stack.py" "$name" \
      "$work/state.json" "$work/outputs.json" >&2
    ;;
  *)
    echo "DEPLOYER=${DEPLOYER}: use terraform or cdk" >&2
    exit 2
    ;;
esac

bin="${CARGO_TARGET_DIR:-$root/target}/release"
tools="${HARNESS_DIR:-${CARGO_TARGET_DIR:-$root/target}/tools}"
args=(--state "$work/state.json" --endpoint "$endpoint" --emulator-pid "$emulator_pid"
  --processor-bin "$bin/processor" --trigger-bin "$bin/trigger" --redrive-bin "$tools/redrive"
  --outputs "$work/outputs.json"
  --count "${COUNT:-40}" --corrupt "${CORRUPT:-0}" --timeout "${TIMEOUT:-120}"
  --out-dir "${OUT_DIR:-$root/target/loadtest}")
# render times the image core alone on the same photos, for the report's billed / render.
[ -x "$bin/render" ] && args+=(--render-bin "$bin/render")
[ -n "${RATE:-}" ] && args+=(--rate "$RATE")
[ -n "${IMAGES:-}" ] && args+=(--images "$IMAGES")
[ -n "${SIZES:-}" ] && args+=(--sizes "$SIZES")
if [ -n "${CHAOS:-}" ]; then
  args+=(--chaos --kills "${KILLS:-5}" --s3-fault-share "${S3_FAULTS:-0.05}" --duplicate-share "${DUPLICATES:-0.05}"
    --sqs-fault-share "${SQS_FAULTS:-0.1}" --sqs-fault-burst "${SQS_FAULT_BURST:-35}")
  [ -n "${SEED:-}" ] && args+=(--seed "$SEED")
fi
"$tools/loadtest" "${args[@]}"
if [ -n "${ROUTE_CHECK:-}" ]; then
  renditions=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["renditions"])' "$config")
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_ENDPOINT_URL="$endpoint" \
    python3 "$root/terraform/tests/check_routes.py" "$work/outputs.json" "$renditions"
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_ENDPOINT_URL="$endpoint" \
    python3 "$root/loadtest/tests/check_formats.py" "$work/outputs.json"
fi
