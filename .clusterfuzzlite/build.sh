#!/bin/bash -eu
# Builds the core fuzz targets for ClusterFuzzLite / OSS-Fuzz: the same
# targets as the nightly CI job (scripts/nightly --list-targets), each binary
# in $OUT with its checked-in seeds and regressions as <target>_seed_corpus.zip
# and the libFuzzer options the nightly job uses as <target>.options.
#
# The builder image provides $SRC, $OUT, $WORK and a nightly cargo whose
# `cargo fuzz build` picks the sanitizer and coverage flags for the build
# kind; CARGO_BUILD_TARGET names the triple the binaries are built for.
#
# The HTTP target http_placement is built (cargo fuzz builds every binary)
# but not shipped: --list-targets leaves it out. It sends requests to a
# server, and a ClusterFuzzLite runner has none but the embedded one, whose
# code the core targets fuzz in-process already; it also writes a journal
# and runs a thread pool, which the runners' reproducers do not expect. It
# runs in the nightly job against a real Placement instead.

cd "$SRC/placement-harness"
triple=${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}

cargo fuzz build -O

targets=$(scripts/nightly --list-targets)
if [[ -z $targets ]]; then
  echo "build.sh: scripts/nightly --list-targets named no target" >&2
  exit 1
fi

for t in $targets; do
  cp "fuzz/target/$triple/release/$t" "$OUT/"

  # Seeds and regressions in one flat zip; regressions are prefixed so that
  # a seed and a regression of the same name cannot collide.
  seeds="$WORK/seeds-$t"
  rm -rf "$seeds"
  mkdir -p "$seeds"
  find "corpus/$t" -maxdepth 1 -type f ! -name '.*' -exec cp -t "$seeds" {} +
  if [[ -d corpus/$t/regressions ]]; then
    find "corpus/$t/regressions" -maxdepth 1 -type f ! -name '.*' -print0 \
      | while IFS= read -r -d '' f; do cp "$f" "$seeds/regression-$(basename "$f")"; done
  fi
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$seeds" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)

  printf '[libfuzzer]\ntimeout = 10\nrss_limit_mb = 2048\nmax_len = 65536\n' >"$OUT/$t.options"
done
