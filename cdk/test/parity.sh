#!/usr/bin/env bash
# Parity between the two deployers, from the one settings file: the CDK templates (synthesized
# by `make cdk-test` into OUT/{direct,trigger,cdn}) against Terraform's plans of the same settings
# (made against the local emulator, which only answers the account lookup), compared setting by
# setting and IAM action by IAM action (parity.py); and every guardrail case refused by
# Terraform in the words the CDK app uses (the CDK tests check the app against the same list).
# Usage: parity.sh OUT
set -euo pipefail
out=${1:?usage: parity.sh OUT}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../../terraform/tests/local-aws.sh
source "$root/terraform/tests/local-aws.sh"
start_local_aws "${MOTO_PORT:-5095}"

# The root module as it is, with the provider pointed at the emulator by an override file.
mkdir "$work/stack"
cp "$root"/terraform/*.tf "$work/stack/"
cp -r "$root/terraform/modules" "$work/stack/"
cat >"$work/stack/emulator_override.tf" <<TF
provider "aws" {
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {
    sts = "$endpoint"
    iam = "$endpoint"
  }
}
TF
export TF_DATA_DIR="$work/.terraform" TF_IN_AUTOMATION=1
tf() { terraform -chdir="$work/stack" "$@"; }
tf init -input=false -no-color >/dev/null
config="$root/config/pipeline.json"
zip="$root/terraform/tests/fixtures/bootstrap.zip"
# Each synthesized variant (OUT/direct, OUT/trigger, OUT/cdn) against a plan of the same settings.
for variant in direct trigger cdn; do
  case $variant in
    cdn) vars=(-var "notification_mode=direct" -var "cdn_enabled=true") ;;
    *) vars=(-var "notification_mode=$variant") ;;
  esac
  tf plan -input=false -no-color -refresh=false -var-file="$config" "${vars[@]}" \
    -var "processor_zip=$zip" -var "trigger_zip=$zip" -out="$work/$variant.tfplan" >"$work/plan-$variant.log" ||
    { tail -30 "$work/plan-$variant.log" >&2; exit 1; }
  tf show -json "$work/$variant.tfplan" >"$work/plan-$variant.json"
  python3 "$here/parity.py" "$work/plan-$variant.json" "$out/$variant"/*.template.json "$variant"
done

# Each guardrail case: Terraform must refuse it with exactly the listed words.
python3 - "$here/guardrail-cases.json" "$work" "$config" <<'PY'
import json, re, subprocess, sys
cases_path, work, config = sys.argv[1:4]
failures = []
for number, case in enumerate(json.load(open(cases_path))):
    case_file = f"{work}/case-{number}.json"
    json.dump(case["settings"], open(case_file, "w"))
    result = subprocess.run(
        ["terraform", f"-chdir={work}/stack", "console", "-no-color", f"-var-file={config}", f"-var-file={case_file}"],
        input="1\n", capture_output=True, text=True,
    )
    text = result.stderr
    # Each refusal sits after the variable's value box and before "This was checked by".
    found = [
        " ".join(m.split())
        for m in re.findall(r"│ var\.[^\n]*\n\n(.*?)\n\nThis was checked by", text, re.S)
    ]
    if sorted(found) != sorted(case["refusals"]):
        failures.append(f"{case['settings']}: Terraform said {found or text[-400:]}, the CDK app says {case['refusals']}")
if failures:
    sys.exit("parity: guardrails differ:\n" + "\n".join(failures))
print(f"parity: Terraform refuses all {number + 1} guardrail cases in the CDK app's words")
PY
