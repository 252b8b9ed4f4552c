#!/usr/bin/env bash
# Runs fuzz targets for SECONDS each, two at a time, niced; logs to fuzz/work/<target>.log.
#   fuzz/run.sh 600                      # every target, 10 minutes each
#   fuzz/run.sh 60 handler webhook_payload   # some targets
# New coverage goes to fuzz/work/<target>/ (ignored by git); fuzz/corpus/<target>/ is read
# as seeds only. A crash stops that target and is written to fuzz/artifacts/<target>/.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(webhook_payload route_and_name reference config handler)
declare -A max_len=([webhook_payload]=16384 [handler]=8192)
cargo +nightly fuzz build || exit 1
run() {
  local t=$1
  mkdir -p "work/$t"
  nice -n 10 cargo +nightly fuzz run "$t" "work/$t" "corpus/$t" -- \
    -dict=ociref.dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="${max_len[$t]:-4096}" -print_final_stats=1 > "work/$t.log" 2>&1
  echo "$t: exit $? ($(grep -E '^Done' "work/$t.log"))"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" &
  [ $((i + 1)) -lt ${#targets[@]} ] && run "${targets[i + 1]}" &
  wait
done
