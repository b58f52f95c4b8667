#!/usr/bin/env bash
# Fuzzes one target with AFL++ and SharpFuzz: fuzz/run.sh <target> [seconds, default 1800] (README.md).
# Builds the fuzz program into a work folder, instruments our assembly there, gathers seeds (shared corpus,
# samples/, fuzz/seeds/, small files made with 7zz/xz/zip) into that folder, and runs afl-fuzz under nice.
# Nothing is written into the repository: findings stay in $FUZZ_WORK/<target>/findings.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
target=${1:?usage: fuzz/run.sh <target> [seconds]}
seconds=${2:-1800}
work=${FUZZ_WORK:-/tmp/dmarc-fuzz}
corpus=${DMARC_CORPUS:-$repo/../shared/corpus}
export PATH="$PATH:$HOME/.dotnet/tools"

for tool in afl-fuzz sharpfuzz 7zz xz zip; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (README.md: Installing)" >&2; exit 1; }
done

# Build into a fresh folder and instrument only our own code, dmarc.dll; FUZZ_NO_BUILD=1 reuses the last build
# (one target after another).
bin=$work/bin
if [ "${FUZZ_NO_BUILD:-0}" != 1 ] || [ ! -f "$bin/fuzz.dll" ]; then
  rm -rf "$bin"
  dotnet build fuzz/fuzz.csproj -c Release -nologo -clp:ErrorsOnly -o "$bin"
  sharpfuzz "$bin/dmarc.dll"
fi

seeds=$work/$target/seeds
findings=$work/$target/findings
rm -rf "$seeds" "$findings"
mkdir -p "$seeds"
# AFL works best on small inputs: larger seed files are left out.
take() { find "$@" -type f -size -32k -exec cp -t "$seeds" {} + 2>/dev/null || true; }
# Lines of the corpus matching a pattern, one seed file each.
lines() {
  local pattern=$1 n=0; shift
  grep -rhoE "$pattern" "$@" 2>/dev/null | sort -u | head -100 | while IFS= read -r line; do
    n=$((n + 1)); printf '%s' "$line" > "$seeds/line-$n"
  done
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'v=DMARC1; p=reject; rua=mailto:dmarc@example.org\n' > "$tmp/plain.txt"
seq 1 400 | sed 's/^/aggregate report line /' >> "$tmp/plain.txt"
case $target in
  xml|report)
    take "$corpus/aggregate" "$repo/samples/rua" -name '*.xml'
    take "$repo/fuzz/seeds/xml" ;;
  unpack)
    take "$corpus/aggregate" -not -path '*/_expected/*'
    take "$corpus/smtp-tls" "$corpus/forensic" -not -path '*/_expected/*'
    take "$repo/samples/rua" -name '*.xml' ;;
  zone)
    take "$corpus/dkim/authentication_milter/zonefile" "$corpus/dkim/dkimpy" -name '*.dns' -o -name zonefile
    take "$repo/fuzz/seeds/zone" ;;
  spf)
    lines 'v=spf1[^"'"'"']*' "$corpus/spf" ;;
  dmarc)
    lines 'v=DMARC1[^"'"'"']*' "$corpus"
    take "$repo/fuzz/seeds/dmarc" ;;
  authres)
    lines '^Authentication-Results: .*' "$corpus" --include='*.eml'
    for f in "$seeds"/line-*; do [ -e "$f" ] && sed -i 's/^Authentication-Results: //' "$f"; done
    take "$repo/fuzz/seeds/authres" ;;
  7z)
    7zz a -bd -bso0 "$seeds/plain.7z" "$tmp/plain.txt"
    7zz a -bd -bso0 -psecret "$seeds/aes.7z" "$tmp/plain.txt"
    7zz a -bd -bso0 -psecret -mhe=on "$seeds/aes-header.7z" "$tmp/plain.txt"
    7zz a -bd -bso0 -m0=lzma -mhc=on "$seeds/lzma.7z" "$tmp/plain.txt"
    7zz a -bd -bso0 -mx0 -mhc=off "$seeds/stored.7z" "$tmp/plain.txt" ;;
  lzma)
    # Our layout (FuzzTargets.Lzma): properties byte, mode byte (0: up to the end marker), two size bytes, stream.
    for preset in 0 6; do
      xz --format=lzma --lzma1=preset=$preset -c "$tmp/plain.txt" > "$tmp/alone"
      { head -c 1 "$tmp/alone"; printf '\0\0\0'; tail -c +14 "$tmp/alone"; } > "$seeds/lzma-$preset"
    done ;;
  lzma2)
    for preset in 0 6; do
      xz --format=raw --lzma2=preset=$preset -c "$tmp/plain.txt" > "$seeds/lzma2-$preset"
    done
    printf '\x01\x00\x03abcd\x00' > "$seeds/stored" ;;
  cfb)
    take "$repo/fuzz/seeds/cfb" ;;
  zip)
    (cd "$tmp" && zip -q "$seeds/plain.zip" plain.txt && zip -q -P secret "$seeds/pkware.zip" plain.txt \
      && zip -q -0 "$seeds/stored.zip" plain.txt && zip -q -r "$seeds/nested.zip" plain.txt "$seeds/pkware.zip")
    take "$corpus/aggregate" -name '*.zip' ;;
  milter|dns)
    take "$repo/fuzz/seeds/$target" ;;
  tls)
    take "$corpus/smtp-tls" -name '*.json'
    take "$repo/samples/tls" -name '*.json' ;;
  arf)
    take "$corpus/forensic" -name '*.eml'
    take "$repo/samples/failure" -name '*.eml' ;;
  *) echo "run.sh: unknown target $target" >&2; exit 2 ;;
esac
[ -n "$(ls -A "$seeds")" ] || { echo "run.sh: no seeds for $target (is the corpus at $corpus?)" >&2; exit 1; }

# -t 1000+: a hang is an input over 1 s (issue 14); '+' skips seeds that time out while the JIT warms up.
# -m none: the runtime reserves far more address space than it uses; the harness counts allocation instead
# (FuzzTargets.MaxAllocatedBytes) and the GC hard limit keeps a runaway input from taking the machine.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export DOTNET_GCHeapHardLimit=0x40000000
nice -n 19 afl-fuzz -i "$seeds" -o "$findings" -t 1000+ -m none -V "$seconds" -- dotnet "$bin/fuzz.dll" fuzz "$target" \
  > "$work/$target/afl.log" 2>&1 || { tail -30 "$work/$target/afl.log"; exit 1; }
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|unique_crashes|unique_hangs) ' \
  "$findings/default/fuzzer_stats" || true
# Replay with an uninstrumented build: instrumented code outside afl-fuzz writes to a coverage map that is not there.
echo "findings: $findings/default/crashes and $findings/default/hangs"
echo "replay: dotnet run --project fuzz -c Release -- replay $target $findings/default/crashes"
