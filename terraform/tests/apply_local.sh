#!/usr/bin/env bash
# Applies the root module (through examples/local) to a fresh local AWS emulator, checks what
# was created through the AWS API, destroys it, and checks it is gone. Usage: apply_local.sh MODE
# where MODE is "direct" or "trigger". Needs: terraform, moto_server, the aws CLI.
set -euo pipefail
mode=${1:-direct}
here=$(cd "$(dirname "$0")" && pwd)
example=$(cd "$here/../examples/local" && pwd)
# shellcheck source=local-aws.sh
source "$here/local-aws.sh"
start_local_aws "${MOTO_PORT:-5055}"

export TF_DATA_DIR="$work/.terraform" TF_IN_AUTOMATION=1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL="$endpoint"
tf() { terraform -chdir="$example" "$@"; }
# AWS CLI v1 ignores AWS_ENDPOINT_URL for some services (SQS in us-east-1): name it each time.
aws() { command aws --endpoint-url "$endpoint" "$@"; }
vars=(-var "endpoint=$endpoint" -var "notification_mode=$mode" -var "name=tftest-$mode"
  -var "processor_zip=$here/fixtures/bootstrap.zip" -var "trigger_zip=$here/fixtures/bootstrap.zip")

tf init -input=false -no-color >/dev/null
tf apply -input=false -auto-approve -no-color -state="$work/terraform.tfstate" "${vars[@]}" >"$work/apply.log" || {
  tail -40 "$work/apply.log"
  exit 1
}
outputs=$(tf output -json -no-color -state="$work/terraform.tfstate" pipeline)
get() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'] or '')" <<<"$outputs"; }
bucket=$(get bucket)
queue_url=$(get queue_url)

fail() { echo "apply_local ($mode): $*" >&2; exit 1; }
aws s3api get-public-access-block --bucket "$bucket" --query 'PublicAccessBlockConfiguration.BlockPublicAcls' --output text | grep -q True ||
  fail "the public access block is missing"
aws s3api get-bucket-encryption --bucket "$bucket" >/dev/null || fail "default encryption is missing"
redrive=$(aws sqs get-queue-attributes --queue-url "$queue_url" --attribute-names RedrivePolicy --query Attributes.RedrivePolicy --output text)
grep -q '"maxReceiveCount": *"\?5' <<<"$redrive" || fail "unexpected redrive policy: $redrive"
notification=$(aws s3api get-bucket-notification-configuration --bucket "$bucket" --output json)
case $mode in
  direct)
    grep -q '"QueueArn"' <<<"$notification" || fail "no S3 -> SQS notification: $notification"
    expected_alarms=4
    ;;
  trigger)
    grep -q '"LambdaFunctionArn"' <<<"$notification" || fail "no S3 -> Lambda notification: $notification"
    trigger=$(get trigger_function_name)
    aws lambda get-function --function-name "$trigger" >/dev/null || fail "no trigger function"
    on_failure=$(aws lambda get-function-event-invoke-config --function-name "$trigger" \
      --query 'DestinationConfig.OnFailure.Destination' --output text)
    [ "$on_failure" = "$(get trigger_failures_arn)" ] || fail "the trigger's on-failure destination is $on_failure"
    aws sqs get-queue-attributes --queue-url "$(get trigger_failures_url)" --attribute-names All >/dev/null ||
      fail "no trigger failure queue"
    expected_alarms=8
    ;;
esac
aws lambda get-function --function-name "$(get processor_function_name)" --query 'Configuration.Architectures[0]' --output text |
  grep -q arm64 || fail "the processor is not arm64"
alarms=$(aws cloudwatch describe-alarms --alarm-name-prefix "tftest-$mode-" --query 'length(MetricAlarms)' --output text)
[ "$alarms" = "$expected_alarms" ] || fail "expected $expected_alarms alarms (queue, DLQ, functions, failure queue), found $alarms"
aws cloudwatch get-dashboard --dashboard-name "tftest-$mode" --query DashboardBody --output text | grep -q '"Images"' ||
  fail "the dashboard is missing or does not show the Images metric"
role=$(aws lambda get-function --function-name "$(get processor_function_name)" --query 'Configuration.Role' --output text)
grep -q -- "-us-east-1$" <<<"$role" || fail "the processor's role name does not carry the region: $role"
echo "apply_local ($mode): applied and checked bucket, queue, DLQ redrive, notification, $alarms alarms, dashboard, functions and roles"

tf destroy -input=false -auto-approve -no-color -state="$work/terraform.tfstate" "${vars[@]}" >"$work/destroy.log" || {
  tail -40 "$work/destroy.log"
  exit 1
}
if aws s3api head-bucket --bucket "$bucket" 2>/dev/null; then fail "the bucket survived destroy"; fi
echo "apply_local ($mode): destroyed"
