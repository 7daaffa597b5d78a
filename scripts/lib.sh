# Shared by scripts/demo and scripts/test: set-up, and the local services they
# start (moto, cargo lambda watch), each stopped again on exit.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
RUN_DIR="$ROOT/.run"
PIDS=()

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs a requirements file into a venv, once per change of that file.
install_requirements() { # venv, requirements file, what
  local venv=$1 requirements=$2 stamp="$1/.requirements.sha256" want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  say "installing $3 into ${venv#"$ROOT"/} (first run only)"
  if ! python3 -m venv "$venv"; then
    say "python3 -m venv failed: on Debian/Ubuntu install the python3-venv package"
    return 1
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
}

# rust-toolchain.toml pins the toolchain by version. rustup would download
# a version not installed under that name, and this machine reaches no
# toolchain server: an installed stable toolchain of the same version serves,
# linked under the pinned name. Any other version: say so, and go on.
use_pinned_toolchain() {
  local want have host home
  want=$(sed -n 's/^channel = "\(.*\)"$/\1/p' "$ROOT/rust-toolchain.toml")
  host=$(rustc +stable -vV 2>/dev/null | sed -n 's/^host: //p')
  if [[ -z "$want" || -z "$host" ]] || rustup toolchain list | grep -q "^$want-$host"; then
    return
  fi
  have=$(rustc +stable --version | awk '{print $2}')
  home=${RUSTUP_HOME:-$HOME/.rustup}
  if [[ "$have" == "$want" ]]; then
    say "linking the installed stable toolchain ($have) as $want, the version rust-toolchain.toml pins"
    ln -s "$home/toolchains/stable-$host" "$home/toolchains/$want-$host"
  else
    say "WARNING: rust-toolchain.toml pins $want; the installed stable is $have"
  fi
}

# A clean build takes about 2.5 GB in target/ and the venvs about 1 GB. A
# CI run once ran out of disk mid-build, with only an LLVM I/O error to show:
# say it up front instead (a warning: an existing target/ needs less).
check_disk() {
  local free_kb
  free_kb=$(df -Pk "$ROOT" | awk 'NR == 2 {print $4}')
  if [[ -n "$free_kb" && "$free_kb" -lt $((4 * 1024 * 1024)) ]]; then
    say "WARNING: only $((free_kb / 1024)) MB free on the disk of $ROOT; a clean build needs about 4 GB"
  fi
}

# moto and cargo-lambda, for the demo and the tests.
setup_venv() {
  install_requirements "$VENV" "$ROOT/requirements-dev.txt" "moto and cargo-lambda"
}

# SAM CLI, cfn-lint and checkov, for the template checks.
setup_sam_venv() {
  install_requirements "$ROOT/.venv-sam" "$ROOT/requirements-sam.txt" "SAM CLI, cfn-lint and checkov"
}

# sam validate --lint, cfn-lint, checkov (offline) and the project's own
# checks on both templates: template.yaml (the recovery region) and
# template-us-east-1.yaml (the primary's alarm).
check_template() {
  local bin="$ROOT/.venv-sam/bin" t
  say "templates: sam validate --lint, cfn-lint, checkov, scripts/check_template.py, scripts/check_samconfig.py"
  for t in template.yaml template-us-east-1.yaml; do
    (cd "$ROOT" && SAM_CLI_TELEMETRY=0 "$bin/sam" validate --lint --template "$t")
    (cd "$ROOT" && "$bin/cfn-lint" "$t")
    # BC_SKIP_MAPPING keeps checkov offline; each skipped check carries its reason in the template.
    (cd "$ROOT" && BC_SKIP_MAPPING=TRUE "$bin/checkov" --quiet --compact --framework cloudformation \
      -f "$t")
  done
  (cd "$ROOT" && "$bin/python" scripts/check_template.py template.yaml template-us-east-1.yaml)
  (cd "$ROOT" && "$bin/python" scripts/check_samconfig.py)
}

# The workflow's definition, with the template's substitutions in place,
# checked by asl-validator (npm, pinned) as Amazon States Language: the
# interpreter the tests run it on (moto's) is more lenient than Step
# Functions.
check_statemachine() {
  local dir="$ROOT/.node" want="asl-validator@4.0.0" definition
  if [[ "$(cat "$dir/.installed" 2>/dev/null)" != "$want" ]]; then
    say "installing $want into .node (first run only)"
    npm install --silent --no-audit --no-fund --prefix "$dir" "$want"
    echo "$want" > "$dir/.installed"
  fi
  say "the workflow's definition: asl-validator"
  definition=$(sed 's/\${[A-Za-z]*}/arn:aws:lambda:us-west-2:123456789012:function:substituted/g' \
    "$ROOT/statemachine/recovery.asl.json")
  "$dir/node_modules/.bin/asl-validator" --json-definition "$definition"
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() { # port, what, log, pid
  local i
  for i in $(seq 1 600); do
    if "$VENV/bin/python" -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.5)" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$4" 2>/dev/null; then
      say "$2 exited before it listened; its log:"; tail -n 40 "$3" >&2
      return 1
    fi
    sleep 0.5
  done
  say "$2 did not start in 5 minutes; its log:"; tail -n 40 "$3" >&2
  return 1
}

# Starts a process in its own process group, so that stop_all can end it and its children.
start_bg() { # log, command...
  local log=$1; shift
  setsid "$@" > "$log" 2>&1 &
  PIDS+=($!)
}

# Ends every process group start_bg started: TERM, then KILL after 5 s.
stop_all() {
  local pid i
  trap - EXIT INT TERM
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for i in $(seq 1 50); do
    local alive=0
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
      kill -0 -- "-$pid" 2>/dev/null && alive=1
    done
    [[ $alive == 0 ]] && return 0
    sleep 0.1
  done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
}

# Call once at the top of a script: stops everything on exit, Ctrl-C or kill.
stop_all_on_exit() {
  trap stop_all EXIT
  trap 'stop_all; exit 130' INT
  trap 'stop_all; exit 143' TERM
}

# Starts moto on a free loopback port and exports MOTO_URL. It runs through
# scripts/moto_server.py, which turns moto's Step Functions interpreter on and
# sends its Lambda tasks to the cargo lambda watch that start_lambda_emulator
# starts later, on the port chosen here (LAMBDA_PORT). A test may ask for a
# synthetic function error through $DR_LAMBDA_INJECT.
start_moto() {
  mkdir -p "$RUN_DIR"
  local port; port=$(free_port)
  LAMBDA_PORT=$(free_port)
  export DR_LAMBDA_INJECT="$RUN_DIR/lambda-inject.json"
  rm -f "$DR_LAMBDA_INJECT"
  # The recorder (off until a test starts it, tests/readiness_plan_moto.rs)
  # writes its file into the run directory, not the working tree.
  start_bg "$RUN_DIR/moto.log" env DR_LAMBDA_URL="http://127.0.0.1:$LAMBDA_PORT" \
    MOTO_RECORDER_FILEPATH="$RUN_DIR/moto_recording" \
    DR_LAMBDA_INJECT="$DR_LAMBDA_INJECT" "$VENV/bin/python" "$ROOT/scripts/moto_server.py" -H 127.0.0.1 -p "$port"
  wait_for_port "$port" "moto" "$RUN_DIR/moto.log" "${PIDS[-1]}"
  export MOTO_URL="http://127.0.0.1:$port"
  say "moto (local AWS, Step Functions executing) at $MOTO_URL"
}

# Seeds the demo world into moto; sets FUNCTION_ENV to the failover
# function's configuration for that world (KEY=VALUE words).
seed_world() {
  local config
  config=$("$VENV/bin/python" "$ROOT/scripts/seed_world.py" seed --endpoint "$MOTO_URL" \
    --plan-file "$RUN_DIR/recovery-plan.json")
  mapfile -t FUNCTION_ENV < <("$VENV/bin/python" -c \
    'import json,sys; [print(f"{k}={v}") for k, v in json.load(sys.stdin).items() if not k.startswith("DR_")]' <<< "$config")
  # The workflow's cutover target, for the tests and the demo.
  eval "$("$VENV/bin/python" -c \
    'import json,shlex,sys; [print(f"export {k}={shlex.quote(v)}") for k, v in json.load(sys.stdin).items() if k.startswith("DR_")]' <<< "$config")"
}

# Starts the Lambda Runtime API emulator in front of our binaries, talking to
# moto, and exports LAMBDA_URL. The functions inherit this environment, plus
# the KEY=VALUE arguments.
start_lambda_emulator() {
  say "building the handlers and starting cargo lambda watch"
  (cd "$ROOT" && cargo build --quiet --bins)
  LAMBDA_PORT=${LAMBDA_PORT:-$(free_port)} start_emulator_at LAMBDA_URL lambda "$@"
}

# A cargo lambda watch whose URL goes into the variable $1, logging to
# $RUN_DIR/$2.log, with the KEY=VALUE arguments after them; on $LAMBDA_PORT
# when set.
start_emulator_at() {
  local var=$1 log=$2 port; shift 2
  port=${LAMBDA_PORT:-$(free_port)}
  start_bg "$RUN_DIR/$log.log" env PATH="$VENV/bin:$PATH" \
    AWS_ENDPOINT_URL="$MOTO_URL" AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "$@" \
    cargo lambda watch --manifest-path "$ROOT/Cargo.toml" --ignore-changes -A 127.0.0.1 -P "$port"
  wait_for_port "$port" "cargo lambda watch" "$RUN_DIR/$log.log" "${PIDS[-1]}"
  export "$var=http://127.0.0.1:$port"
  say "Lambda Runtime API emulator ($log) at ${!var}"
}

# The test-only ARC cluster emulator (scripts/arc_emulator.py) on five
# loopback ports, and a second Lambda emulator whose failover-region runs in
# routing-control mode against it. Exports ARC_EMULATOR (its control URL),
# ARC_CLUSTER_ENDPOINTS, ROUTING_CONTROLS and LAMBDA_ARC_URL.
start_arc() {
  local control; control=$(free_port)
  start_bg "$RUN_DIR/arc.log" "$VENV/bin/python" -u "$ROOT/scripts/arc_emulator.py" \
    --regions us-east-1,us-west-2,eu-west-1,ap-southeast-2,ap-northeast-1 --control-port "$control"
  wait_for_port "$control" "the ARC emulator" "$RUN_DIR/arc.log" "${PIDS[-1]}"
  local started; started=$(head -n 1 "$RUN_DIR/arc.log")
  export ARC_EMULATOR="http://127.0.0.1:$control"
  ARC_CLUSTER_ENDPOINTS=$("$VENV/bin/python" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["endpoints"]))' <<< "$started")
  export ARC_CLUSTER_ENDPOINTS
  local panel="arn:aws:route53-recovery-control::123456789012:controlpanel/dr-panel/routingcontrol"
  export ROUTING_CONTROLS="{\"us-east-1\": \"$panel/us-east-1\", \"us-west-2\": \"$panel/us-west-2\"}"
  say "ARC cluster emulator at $ARC_EMULATOR"
  # Its alarms exercise the routing-control move: AlarmAction=traffic, with
  # no plan deployed (tests/alarm_action.rs holds page and recover).
  LAMBDA_PORT='' start_emulator_at LAMBDA_ARC_URL lambda-arc FAILOVER_MODE=routing-control \
    ALARM_ACTION=traffic PRIMARY_REGION=us-east-1 SECONDARY_REGION=us-west-2 \
    ROUTING_CONTROLS="$ROUTING_CONTROLS" ARC_CLUSTER_ENDPOINTS="$ARC_CLUSTER_ENDPOINTS" "$@"
}

invoke() { # function, event file
  PATH="$VENV/bin:$PATH" cargo lambda invoke "$1" -A 127.0.0.1 -P "${LAMBDA_URL##*:}" --data-file "$2" --output-format json
}

# cargo deny: licences, bans and sources always; advisories when the RustSec
# database (on GitHub) can be fetched, a warning when it cannot.
check_dependencies() {
  local want="cargo-deny 0.20.2" out
  if [[ "$(cargo deny --version 2>/dev/null)" != "$want" ]]; then
    say "installing $want (first run only, about 3 minutes)"
    cargo install --quiet --locked cargo-deny --version 0.20.2
  fi
  say "dependencies: cargo deny check licenses bans sources"
  (cd "$ROOT" && cargo deny --log-level error check licenses bans sources)
  if out=$(cd "$ROOT" && cargo deny --log-level error check advisories 2>&1); then
    say "dependencies: no advisory"
  elif grep -q "failed to fetch advisory database" <<< "$out"; then
    say "dependencies: advisories NOT checked: the RustSec database on GitHub is unreachable from here"
  else
    printf '%s\n' "$out" >&2
    return 1
  fi
}
