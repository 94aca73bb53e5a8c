# Sourced by the scripts that need a local AWS emulator (apply_local.sh, loadtest/run-local.sh):
# starts moto on loopback in a scratch folder and stops it, and removes the folder, on exit.
# After `start_local_aws PORT`: $endpoint, $work (scratch folder) and $emulator_pid are set.
# The emulator is local_aws.py (moto with a cheap SQS clock); MOTO_SERVER=moto_server runs the
# stock server instead.
local_aws_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

start_local_aws() {
  endpoint="http://127.0.0.1:$1"
  work=$(mktemp -d)
  emulator_pid=""
  trap stop_local_aws EXIT
  trap 'exit 130' INT TERM
  # Another emulator on the port would answer in this one's place.
  if curl -fs "$endpoint/moto-api/" >/dev/null 2>&1; then
    echo "port $1 is already serving an emulator (left by an earlier run?); stop it or set MOTO_PORT" >&2
    return 1
  fi
  if [ -n "${MOTO_SERVER:-}" ]; then
    "$MOTO_SERVER" -H 127.0.0.1 -p "$1" >"$work/moto.log" 2>&1 &
  else
    python3 "$local_aws_dir/local_aws.py" "$1" >"$work/moto.log" 2>&1 &
  fi
  emulator_pid=$!
  for _ in $(seq 100); do
    curl -fs "$endpoint/moto-api/" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the local AWS emulator did not start on $endpoint:" >&2
  tail -20 "$work/moto.log" >&2
  return 1
}

stop_local_aws() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$work"
}
