#!/usr/bin/env bash
# `make destroy`'s two steps on a stack that is busy: applies examples/local (buckets that refuse
# to be deleted while they hold objects, as on AWS), starts the load-test harness (the local
# Lambda service runs the real processor), and while messages are still in flight runs
# scripts/prepare_destroy.py and `terraform destroy`, which must succeed on the first try.
# Needs: terraform, the project venv (moto, boto3) on PATH, and the release binaries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
example="$root/terraform/examples/local"
# shellcheck source=local-aws.sh
source "$here/local-aws.sh"
start_local_aws "${MOTO_PORT:-5075}"
harness_pid=""
cleanup() {
  # The harness may have stopped by itself once the stack was gone.
  if [ -n "$harness_pid" ]; then kill -- "-$harness_pid" 2>/dev/null || true; fi
  stop_local_aws
}
trap cleanup EXIT

export TF_DATA_DIR="$work/.terraform" TF_IN_AUTOMATION=1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL="$endpoint"
tf() { terraform -chdir="$example" "$@"; }
fail() { echo "destroy_in_flight: $*" >&2; exit 1; }
vars=(-var "endpoint=$endpoint" -var "name=destroy-test" -var force_destroy=false
  -var processor_timeout_seconds=5 -var maximum_concurrency=2
  -var "processor_zip=$here/fixtures/bootstrap.zip" -var "trigger_zip=$here/fixtures/bootstrap.zip")
tf init -input=false -no-color >/dev/null
tf apply -input=false -auto-approve -no-color -state="$work/terraform.tfstate" "${vars[@]}" >"$work/apply.log" ||
  { tail -30 "$work/apply.log" >&2; fail "apply failed"; }
tf show -json "$work/terraform.tfstate" >"$work/state.json"
tf output -json -state="$work/terraform.tfstate" >"$work/outputs.json"
queue_url=$(python3 -c "import json; print(json.load(open('$work/outputs.json'))['pipeline']['value']['queue_url'])")

# The harness in a process group of its own, so that it and its function instances stop together.
bin="${CARGO_TARGET_DIR:-$root/target}/release"
tools="${HARNESS_DIR:-${CARGO_TARGET_DIR:-$root/target}/tools}"
setsid "$tools/loadtest" --state "$work/state.json" --endpoint "$endpoint" --processor-bin "$bin/processor" \
  --count 24 --rate 12 --sizes 4000x3000 --timeout 120 --out-dir "$work/loadtest" >"$work/harness.log" 2>&1 &
harness_pid=$!

in_flight() {
  python3 - "$queue_url" <<'PY'
import sys, boto3
attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=sys.argv[1], AttributeNames=["All"])["Attributes"]
print(int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"]))
PY
}
# Wait for the uploads to be done (2 s at 12/s) and their messages to be queued or being processed.
for _ in $(seq 60); do
  sleep 0.5
  waiting=$(in_flight)
  rendered=$(cat "$work"/loadtest/*/logs/*.log 2>/dev/null | grep -c '"message":"done"' || true)
  [ "$waiting" -gt 4 ] && [ "$rendered" -gt 0 ] && break
done
# Some images rendered and more still waiting: the processor is mid-queue when destroy starts.
[ "$rendered" -gt 0 ] && [ "$waiting" -gt 0 ] ||
  { tail -20 "$work/harness.log" >&2; fail "the stack was not busy ($waiting in flight, $rendered rendered): the test would prove nothing"; }
echo "destroy_in_flight: $waiting messages in flight, $rendered images already rendered; destroying"

date -u +"destroy_in_flight: prepare_destroy starts at %H:%M:%S" >&2
python3 "$root/terraform/scripts/prepare_destroy.py" "$work/outputs.json" >"$work/prepare.log" 2>&1 ||
  { cat "$work/prepare.log" >&2; fail "prepare_destroy failed"; }
sed 's/^/  /' "$work/prepare.log"
bucket=$(python3 -c "import json; print(json.load(open('$work/outputs.json'))['pipeline']['value']['bucket'])")
tf destroy -input=false -auto-approve -no-color -state="$work/terraform.tfstate" "${vars[@]}" >"$work/destroy.log" || {
  tail -30 "$work/destroy.log" >&2
  # What was written after the buckets were emptied, and when: the clue to who wrote it.
  date -u +"destroy_in_flight: now %H:%M:%S; left in $bucket:" >&2
  aws --endpoint-url "$endpoint" s3api list-object-versions --bucket "$bucket" \
    --query 'Versions[].[LastModified,Key]' --output text 2>&1 | head -20 >&2 || true
  fail "terraform destroy failed on the first try"
}
if aws --endpoint-url "$endpoint" s3api head-bucket --bucket "$bucket" 2>/dev/null; then fail "the bucket survived"; fi
echo "destroy_in_flight: destroyed on the first try with messages in flight"
