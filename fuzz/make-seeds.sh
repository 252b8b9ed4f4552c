#!/usr/bin/env bash
# Rebuilds the seed corpus under fuzz/corpus/ from every sender's fixtures and a few paths.
# The corpora grow while fuzzing (libFuzzer adds what finds new coverage); only these seeds
# are committed: run this, then `git status fuzz/corpus` shows nothing new.
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../tests/fixtures
rm -rf corpus && mkdir -p corpus/{webhook_payload,route_and_name,reference,config,handler}

# webhook_payload's first byte picks the sender (its index in webhook::SENDERS) and, for
# ghcr, the X-GitHub-Event header (byte / 16 % 3: package, registry_package, ping).
seed() { # seed PICK FILE...
  local pick=$1 f
  shift
  for f in "$@"; do
    { printf "\\x$(printf %02x "$pick")"; cat "$f"; } > "corpus/webhook_payload/$pick-$(basename "$(dirname "$f")")-$(basename "$f")"
  done
}
seed 0 "$fixtures"/acr/*.json
seed 1 "$fixtures"/distribution/*.json "$fixtures"/distribution/registry-2.8/*.json
seed 2 "$fixtures"/harbor/*.json
seed 3 "$fixtures"/ghcr/package_*.json
seed 19 "$fixtures"/ghcr/registry_package_*.json
seed 35 "$fixtures"/ghcr/ping.json
seed 4 "$fixtures"/dockerhub/*.json
seed 5 "$fixtures"/quay/*.json
seed 6 "$fixtures"/gar/insert.json "$fixtures"/gar/insert_untagged.json "$fixtures"/gar/delete.json "$fixtures"/gar/delete_tag.json
seed 7 "$fixtures"/ecr/*.json
# Regression seeds: inputs that once showed a bug (see RESULTS.md).
printf '\x00{"action":"push","request":"%s"}' "$(printf 'x%.0s' $(seq 3000))" \
  > corpus/webhook_payload/regression-long-wrong-type

# The fuzz token split by CR LF in a path (an error joined the pieces when it dropped them).
printf '/api/i\xff\xc9\x8c\xff/fuzz-tok\r\nen-0123456789\xff@push' \
  > corpus/route_and_name/regression-token-split-by-crlf

i=0
for path in /wash /team/app '/team/app?format=pinned&label=x&color=green&logo=docker' \
    '/wasmcloud.azurecr.io/wash?format=tag' /api/refs/wash /api/refs '/api/refs?cursor=1&limit=1' \
    '/api/history/wash?limit=5' /api/categories/tools /healthz / /../etc/passwd \
    '/team/app.svg?style=for-the-badge&label=x' /logo.svg.json /team/app.atom /.atom; do
  printf '%s' "$path" > "corpus/route_and_name/path-$((i++))"
done

hex=6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b
i=0
for ref in wasmcloud.azurecr.io/wash:0.18.1 "localhost:5000/team/app:v2@sha256:$hex" \
    '[::1]:5000/a/b_c:v1.2.3-rc.1' "sha256:$hex" "sha256-$hex.sig" myregistry.azurecr.io; do
  printf '%s' "$ref" > "corpus/reference/ref-$((i++))"
done

printf 'webhook_token=s3cret\npolicy=last-push\ninclude_prereleases=true\nbadge_label=wash\nbadge_color=#00ff00\nbadge_logo=docker\nhistory_retention=1000' > corpus/config/all-keys
printf 'allow_unauthenticated=yes\npolicy=semver' > corpus/config/open
printf 'webhook_token=a b\nbadge_color=<script>' > corpus/config/refused
printf 'whbhook_token=a b\nbadge_color=<script>' > corpus/config/regression-badge-key-not-named

# handler: one request per fixture, then sequences (see parse_steps in src/lib.rs).
for f in "$fixtures"/*.json; do
  { printf 'POST /api/azurehook\nauth: token\ntype: application/json\n\n'; cat "$f"; } \
    > "corpus/handler/$(basename "$f" .json)"
done
cat > corpus/handler/burst <<'SEQ'
POST /api/azurehook
auth: token
type: application/json

@push 0 0 1 1 1
---
POST /api/azurehook
auth: token
type: application/json

@push 0 1 2 2 2
---
!fail 2
---
POST /api/azurehook
auth: token
type: application/json

@delete 0 - 1 3 3
---
GET /wash?format=pinned
---
GET /api/refs/wash
---
GET /api/history/wash?limit=3
SEQ
cat > corpus/handler/categories <<'SEQ'
PUT /api/categories/tools/team/app
auth: bare
---
GET /api/categories/tools
---
DELETE /api/categories/tools/wash
auth: token
---
!down
---
GET /team/app
---
POST /api/reference
auth: token
type: application/json

{"name":"wash","url":"wasmcloud.azurecr.io/wash:1.0.0"}
---
GET /api/refs?limit=1
SEQ
cat > corpus/handler/refused <<'SEQ'
POST /api/azurehook
auth: Bearer wrong
type: application/json

@quarantine 2 7 3 4 5
---
POST /api/azurehook
auth: token
type: text/plain

{}
---
POST /api/azurehook
auth: token
type: application/json
big

---
DELETE /wash
SEQ
