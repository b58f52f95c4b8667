#!/usr/bin/env bash
# End-to-end milter benchmark with Postfix's smtp-source: a private Postfix on 127.0.0.1 (own config, queue and
# data folders in a temporary folder, everything delivered to the discard transport), sent COUNT messages over
# 10 concurrent sessions, once without a milter and once with ours. Prints messages/s and CPU seconds.
# The messages are DKIM-signed (python3-dkim) for sender.example, whose key, SPF record (127.0.0.1) and DMARC
# policy come from a zone file: the milter runs offline, so SPF, DKIM and DMARC all pass without a network.
# With PEERS=1 it then runs Debian's opendkim (verify mode) and opendmarc chained the same way, and finally all
# three together on four kinds of message delivered to files, comparing the spf/dkim/dmarc results each side
# put in its Authentication-Results field. Those two daemons get the zone from bench/milter/zone-dns.py on
# 127.0.0.2:53 (opendkim through its Nameservers option, opendmarc through a private /etc/resolv.conf bind-mounted
# in its own mount namespace), since they have no zone-file option.
# With ARC=1 it also sends the messages with an ARC chain of ARC_HOPS sets (default 2; bench/milter/arc-message.py,
# python3-dkim's arc_sign), first to the milter above (ARC verification is always on), then to a milter with
# Filter:Arc (TrustedSealers, and our own rsa-sha256 Seal), and checks a few delivered messages' chains, our seal
# on top, with python3-dkim's arc_verify (bench/milter/arc-check.py).
# Every run also takes the CPU time of Postfix (master and every process it starts), of smtp-source and of the milter,
# each from a cpuacct cgroup of its own (processes that exit mid-run are counted), and the load average; and it sends
# the 5 KB message once through bench/milter/noop-milter.py, a milter that does nothing: what Postfix spends talking
# to any milter. With PROFILE=1 the 5 KB run of our milter is also sampled by perf (bench/perf-stages.py milter).
# DMARC_BIN=DIR takes an already published dmarc from DIR instead of publishing one; MILTER_ENV="NAME=value ..." sets
# runtime settings (DOTNET_...) for our milter only; SKIP_PLAIN=1 leaves out the runs without our milter; MILTER_DB=URL
# sends the verdicts to that PostgreSQL database instead of a new SQLite file (bench/milter/postgres.sh).
# Usage: [PEERS=1] [ARC=1 [ARC_HOPS=N] [ARC_COUNT=N]] [PROFILE=1] [DMARC_BIN=DIR] bench/milter/run.sh [COUNT]
#   (run as root; needs postfix, smtp-source, python3-dkim, python3-dnspython, openssl, dotnet; PEERS=1 also
#   opendkim, opendmarc and publicsuffix)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-5000}
sessions=${SESSIONS:-10}
root=$(mktemp -d /tmp/milter-bench.XXXX)
chmod 755 "$root"
mkdir -p "$root/conf" "$root/queue" "$root/data"
chown postfix "$root/data"
# The installed form (README: Installing): published, ReadyToRun.
if [ -n "${DMARC_BIN:-}" ]; then
  dmarc="$DMARC_BIN/dmarc"
else
  dotnet publish analyzer -c Release -o "$root/dmarc" -nologo -clp:ErrorsOnly >/dev/null
  dmarc="$root/dmarc/dmarc"
fi

# CPU accounting per party: Postfix, the client, the milter under test (cgroup v1 cpuacct, or v2 cpu.stat).
cg_base=/sys/fs/cgroup/cpuacct
[ -d "$cg_base" ] || cg_base=/sys/fs/cgroup
cg_id=milter-bench-$$
for party in postfix source filter; do mkdir -p "$cg_base/$cg_id-$party"; done
cg_exec() { # $1: party; runs the rest of the line inside its cgroup
  local party=$1; shift
  bash -c 'echo $$ > "$0/cgroup.procs"; exec "$@"' "$cg_base/$cg_id-$party" "$@"
}
cg_spawn() { # the same, for a process started with &: $! is then the process itself
  local party=$1; shift
  exec bash -c 'echo $$ > "$0/cgroup.procs"; exec "$@"' "$cg_base/$cg_id-$party" "$@"
}
cg_usec() { # $1: party; its CPU time so far in microseconds
  local dir="$cg_base/$cg_id-$1"
  if [ -f "$dir/cpuacct.usage" ]; then echo $(( $(cat "$dir/cpuacct.usage") / 1000 )); else awk '/^usage_usec/{print $2}' "$dir/cpu.stat"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
smtp_port=$(free_port)
milter_port=$(free_port)
dkim_port=$(free_port)
dmarc_port=$(free_port)
milter_pid=
peer_pids=()
measured=()
cleanup() {
  postfix -c "$root/conf" stop >/dev/null 2>&1 || true
  [ -n "$milter_pid" ] && kill -TERM "$milter_pid" 2>/dev/null && wait "$milter_pid" 2>/dev/null || true
  for pid in "${peer_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for party in postfix source filter; do rmdir "$cg_base/$cg_id-$party" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT

write_config() { # $1: smtpd_milters value, $2: transport (discard, or capture: one file per message in $root/out)
  cat > "$root/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $root/queue
data_directory = $root/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.bench.example
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = ${2:-discard}
relay_transport = ${2:-discard}
local_transport = ${2:-discard}
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file_prefixes = $root
maillog_file = $root/maillog
smtpd_milters = $1
milter_default_action = tempfail
milter_protocol = 6
default_process_limit = 200
CF
  cat > "$root/conf/master.cf" <<CF
127.0.0.1:$smtp_port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
capture   unix  - n n -  - pipe flags=F user=nobody argv=/usr/bin/tee $root/out/\${queue_id}.eml
CF
}

wait_port() { # $1: port; until something listens on 127.0.0.1:$1 (a loaded machine starts a milter slowly), at most 60 s
  local i
  for i in $(seq 120); do
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "nothing listens on port $1" >&2
  return 1
}

cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$6+$7+$8}' /proc/stat; }
proc_ticks() { # the CPU ticks of the given processes together
  local total=0 pid
  for pid in "$@"; do total=$(( total + $(awk '{print $14+$15}' "/proc/$pid/stat") )); done
  echo "$total"
}

run() { # $1: label, $2: message file or "", $3: milter setting, $4: messages (default COUNT)
  local n=${4:-$count}
  write_config "$3"
  cg_exec postfix postfix -c "$root/conf" start >/dev/null
  sleep 1
  local args=(-s "$sessions" -m "$n" -f bench@sender.example -t rcpt@example.net)
  args+=(-F "$2")
  local milter_before=0
  [ ${#measured[@]} -gt 0 ] && milter_before=$(proc_ticks "${measured[@]}")
  local cpu_before start end cpu_after postfix_before source_before filter_before load
  postfix_before=$(cg_usec postfix); source_before=$(cg_usec source); filter_before=$(cg_usec filter)
  load=$(cut -d' ' -f1 /proc/loadavg)
  cpu_before=$(cpu_ticks); start=$(date +%s.%N)
  cg_exec source smtp-source "${args[@]}" "127.0.0.1:$smtp_port"
  end=$(date +%s.%N); cpu_after=$(cpu_ticks)
  # Postfix's queue manager and delivery agents finish the last messages after smtp-source ends.
  sleep 2
  local milter_cpu=0
  [ ${#measured[@]} -gt 0 ] && milter_cpu=$(( $(proc_ticks "${measured[@]}") - milter_before ))
  local hz; hz=$(getconf CLK_TCK)
  awk -v l="$1" -v n="$n" -v s="$start" -v e="$end" -v c=$((cpu_after - cpu_before)) -v m="$milter_cpu" -v hz="$hz" \
    'BEGIN { printf "%-50s %6d msgs %7.1f s %8.1f msg/s  machine CPU %6.1f s  filter CPU %6.1f s\n", l, n, e-s, n/(e-s), c/hz, m/hz }'
  awk -v n="$n" -v p=$(( $(cg_usec postfix) - postfix_before )) -v s=$(( $(cg_usec source) - source_before )) \
    -v f=$(( $(cg_usec filter) - filter_before )) -v load="$load" \
    'BEGIN { printf "%-50s CPU per message: Postfix %.3f ms, smtp-source %.3f ms, milter %.3f ms; load average %s\n", "", p/n/1000, s/n/1000, f/n/1000, load }'
  postfix -c "$root/conf" stop >/dev/null
  sleep 1
}

python3 bench/milter/make-message.py 5120 "$root/5k-plain.eml" text
python3 bench/milter/make-message.py 102400 "$root/100k-plain.eml"
openssl genrsa -out "$root/bench.key" 2048 2>/dev/null
/usr/bin/python3 bench/milter/sign-message.py "$root/bench.key" sender.example "$root/5k-plain.eml" "$root/5k.eml" "$root/bench.zone"
/usr/bin/python3 bench/milter/sign-message.py "$root/bench.key" sender.example "$root/100k-plain.eml" "$root/100k.eml" "$root/bench.zone"

arc_check() { # $@: message files; 10 of each through the milter to files: our arc= result, the chain by python3-dkim
  mkdir -p "$root/out"; chmod 1777 "$root/out"
  write_config "inet:127.0.0.1:$milter_port" capture
  postfix -c "$root/conf" start >/dev/null
  sleep 1
  local file
  for file in "$@"; do
    smtp-source -s 2 -m 10 -f bench@sender.example -t rcpt@example.net -F "$root/$file.eml" "127.0.0.1:$smtp_port"
  done
  sleep 5
  postfix -c "$root/conf" stop >/dev/null
  /usr/bin/python3 bench/milter/arc-check.py mx.bench.example "$root/bench.zone" "$root"/out/*.eml
  rm -rf "$root/out"
}

# ARC=1: the forwarders' keys and ours go into the zone before the milter reads it.
if [ "${ARC:-0}" = 1 ]; then
  hops=${ARC_HOPS:-2}
  /usr/bin/python3 bench/milter/arc-message.py "$root/bench.key" "$root/bench.zone" "$root/5k.eml" "$root/5k-arc.eml" "$hops"
  /usr/bin/python3 bench/milter/arc-message.py "$root/bench.key" "$root/bench.zone" "$root/100k.eml" "$root/100k-arc.eml" "$hops"
  openssl genrsa -out "$root/seal.key" 2048 2>/dev/null
  seal_record=$(printf 'v=DKIM1; k=rsa; p=%s' "$(openssl pkey -in "$root/seal.key" -pubout -outform DER | base64 -w0)")
  echo "arc._domainkey.mx.bench.example. IN TXT $(echo "$seal_record" | fold -w 250 | sed 's/.*/"&"/' | tr '\n' ' ')" >> "$root/bench.zone"
fi

if [ "${SKIP_PLAIN:-0}" != 1 ]; then
run "5 KB, no milter" "$root/5k.eml" ""
run "100 KB + attachment, no milter" "$root/100k.eml" ""
fi

cat > "$root/dmarc.json" <<CF
{ "Auth": { "AuthservId": "mx.bench.example" },
  "Dns": { "Offline": true, "Zones": [ "$root/bench.zone" ] },
  "Filter": { "Milter": { "MaxConnections": 1000 } } }
CF
# A milter that does nothing, on the 5 KB message: Postfix's own cost of any milter.
if [ "${SKIP_PLAIN:-0}" != 1 ]; then
noop_port=$(free_port)
cg_spawn filter python3 bench/milter/noop-milter.py 127.0.0.1 "$noop_port" &
noop_pid=$!
wait_port "$noop_port"
run "5 KB, no-op milter" "$root/5k.eml" "inet:127.0.0.1:$noop_port"
kill -TERM "$noop_pid"; wait "$noop_pid" 2>/dev/null || true
fi

# PROFILE=1: the JIT's code is named in /tmp/perf-PID.map for perf (W^X off, or perf cannot read it).
profile_env=()
[ "${PROFILE:-0}" = 1 ] && profile_env=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0)
# MILTER_ENV="NAME=value ...": runtime settings for our milter only, to try them.
read -r -a milter_env <<<"${MILTER_ENV:-}"
profile_env+=("${milter_env[@]}")
cg_spawn filter env "${profile_env[@]}" "$dmarc" milter --listen "inet:127.0.0.1:$milter_port" --config "$root/dmarc.json" --db "${MILTER_DB:-$root/dmarc.db}" 2>"$root/milter.log" &
milter_pid=$!
measured=("$milter_pid")
wait_port "$milter_port"
run "5 KB, dmarc milter (warm-up, 500)" "$root/5k.eml" "inet:127.0.0.1:$milter_port" 500
if [ "${PROFILE:-0}" = 1 ]; then
  perf record -F 499 -g -p "$milter_pid" -o "$root/milter.perf" 2>/dev/null &
  perf_pid=$!
fi
run "5 KB, dmarc milter" "$root/5k.eml" "inet:127.0.0.1:$milter_port"
if [ "${PROFILE:-0}" = 1 ]; then
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
  perf script -i "$root/milter.perf" 2>/dev/null | python3 bench/perf-stages.py milter "${PROFILE_DETAIL:-0}"
fi
run "100 KB + attachment, dmarc milter" "$root/100k.eml" "inet:127.0.0.1:$milter_port"
grep -c "fail\|error" "$root/milter.log" >/dev/null && grep -i "fail\|error" "$root/milter.log" | head -5 || true
# Every verdict should say pass three times: the checks really ran. The milter writes its queue out as it stops.
if [ -n "${MILTER_DB:-}" ]; then
  kill -TERM "$milter_pid"; wait "$milter_pid" 2>/dev/null || true
  echo "verdicts (spf, dkim, dmarc, messages): $(psql -X -tA -F' ' "$MILTER_DB" -c 'SELECT spf, dkim, dmarc, count(*) FROM verdicts GROUP BY 1, 2, 3' | tr '\n' ';')"
  exit 0
fi
python3 - "$root/dmarc.db" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT spf, dkim, dmarc, count(*) FROM verdicts GROUP BY 1, 2, 3").fetchall()
print("verdicts (spf, dkim, dmarc, messages):", rows)
PY

if [ "${ARC:-0}" = 1 ]; then
  # The same messages after ARC_HOPS forwarders (forwarder1.example ...) sealed them with python3-dkim. ARC
  # verification is always on in our milter, so the milter above verifies the chain; then a second milter with
  # Filter:Arc (the newest forwarder trusted, our own rsa-sha256 seal over our results) verifies and seals.
  # ARC_COUNT messages per run (default COUNT): sealing is slow enough to want shorter runs.
  arc_count=${ARC_COUNT:-$count}
  run "5 KB, ARC $hops sets, dmarc milter (verify)" "$root/5k-arc.eml" "inet:127.0.0.1:$milter_port" "$arc_count"
  arc_check 5k-arc
  cat > "$root/dmarc-arc.json" <<CF
{ "Auth": { "AuthservId": "mx.bench.example" },
  "Dns": { "Offline": true, "Zones": [ "$root/bench.zone" ] },
  "Filter": { "Milter": { "MaxConnections": 1000 },
    "Arc": { "TrustedSealers": [ "forwarder$hops.example" ],
      "Seal": { "Domain": "mx.bench.example", "Selector": "arc", "KeyFile": "$root/seal.key", "Algorithm": "rsa-sha256" } } } }
CF
  kill -TERM "$milter_pid"; wait "$milter_pid" 2>/dev/null || true
  "$dmarc" milter --listen "inet:127.0.0.1:$milter_port" --config "$root/dmarc-arc.json" --db "$root/dmarc-arc.db" 2>"$root/milter.log" &
  milter_pid=$!
  measured=("$milter_pid")
  sleep 2
  run "5 KB, no ARC, dmarc milter (seal)" "$root/5k.eml" "inet:127.0.0.1:$milter_port" "$arc_count"
  run "5 KB, ARC $hops sets, dmarc milter (verify + seal)" "$root/5k-arc.eml" "inet:127.0.0.1:$milter_port" "$arc_count"
  run "100 KB, ARC $hops sets, dmarc milter (verify + seal)" "$root/100k-arc.eml" "inet:127.0.0.1:$milter_port" "$arc_count"
  grep -i "fail\|error" "$root/milter.log" | head -5 || true
  arc_check 5k 5k-arc 100k-arc
fi

[ "${PEERS:-0}" = 1 ] || exit 0

# Messages of four kinds for the comparison: signed (all pass), signed then altered (dkim fail), a forged
# From with p=reject (spf fail, dmarc fail), and a partner without SPF or signature (spf none, dmarc fail).
sed 's/lazy dog/lazy cat/' "$root/5k.eml" > "$root/altered.eml"
sed 's/bench@sender.example/ceo@victim.example/' "$root/5k-plain.eml" > "$root/forged.eml"
sed 's/bench@sender.example/alice@nospf.example/' "$root/5k-plain.eml" > "$root/nospf.eml"
cat >> "$root/bench.zone" <<ZONE
victim.example. IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.victim.example. IN TXT "v=DMARC1; p=reject"
_dmarc.nospf.example. IN TXT "v=DMARC1; p=none"
ZONE
kill -TERM "$milter_pid"; wait "$milter_pid" 2>/dev/null || true
"$dmarc" milter --listen "inet:127.0.0.1:$milter_port" --config "$root/dmarc.json" --db "$root/dmarc2.db" 2>"$root/milter.log" &
milter_pid=$!

/usr/bin/python3 bench/milter/zone-dns.py 127.0.0.2 "$root/bench.zone" &
peer_pids+=($!)
dns_pid=$!
echo "nameserver 127.0.0.2" > "$root/resolv.conf"
cat > "$root/opendkim.conf" <<CF
Mode v
Socket inet:$dkim_port@127.0.0.1
AuthservID peers.bench.example
Nameservers 127.0.0.2
Background no
Syslog no
UserID postfix
PidFile $root/opendkim.pid
CF
# opendmarc skips mail from 127.0.0.1 unless IgnoreHosts names something else.
echo 192.0.2.255 > "$root/opendmarc-ignore"
cat > "$root/opendmarc.conf" <<CF
Socket inet:$dmarc_port@127.0.0.1
IgnoreHosts $root/opendmarc-ignore
AuthservID peers.bench.example
TrustedAuthservIDs peers.bench.example
SPFSelfValidate true
SPFIgnoreResults true
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
RejectFailures false
Background false
Syslog false
UserID postfix
PidFile $root/opendmarc.pid
CF
opendkim -x "$root/opendkim.conf" 2>"$root/opendkim.log" &
peer_pids+=($!)
dkim_pid=$(pgrep -n -x opendkim || echo $!)
unshare --mount bash -c "mount --bind '$root/resolv.conf' /etc/resolv.conf && exec opendmarc -c '$root/opendmarc.conf'" 2>"$root/opendmarc.log" &
peer_pids+=($!)
sleep 2
dmarc_pid=$(pgrep -n -x opendmarc)

measured=("$dkim_pid" "$dmarc_pid")
run "5 KB, opendkim + opendmarc" "$root/5k.eml" "inet:127.0.0.1:$dkim_port, inet:127.0.0.1:$dmarc_port"
dns_before=$(proc_ticks "$dns_pid")
run "100 KB + attachment, opendkim + opendmarc" "$root/100k.eml" "inet:127.0.0.1:$dkim_port, inet:127.0.0.1:$dmarc_port"
echo "  zone-dns.py CPU in the 100 KB run: $(( $(proc_ticks "$dns_pid") - dns_before )) ticks of 1/$(getconf CLK_TCK) s"

# All three on the same messages, delivered to files; then each side's results compared.
mkdir -p "$root/out"; chmod 1777 "$root/out"
write_config "inet:127.0.0.1:$dkim_port, inet:127.0.0.1:$dmarc_port, inet:127.0.0.1:$milter_port" capture
postfix -c "$root/conf" start >/dev/null
sleep 1
for kind in 5k:bench@sender.example altered:bench@sender.example forged:ceo@victim.example nospf:alice@nospf.example; do
  smtp-source -s 2 -m 25 -f "${kind#*:}" -t rcpt@example.net -F "$root/${kind%%:*}.eml" "127.0.0.1:$smtp_port"
done
sleep 5
postfix -c "$root/conf" stop >/dev/null
python3 - "$root/out" <<'PY'
import collections, email, glob, re, sys
def results(message, authserv):
    found = {}
    for value in message.get_all("Authentication-Results") or []:
        value = " ".join(value.split())
        if value.split(";")[0].strip().lower() != authserv:
            continue
        for method in ("spf", "dkim", "dmarc"):
            m = re.search(r"\b%s=(\w+)" % method, value)
            if m and method not in found:
                found[method] = m.group(1)
    return tuple(found.get(m, "-") for m in ("spf", "dkim", "dmarc"))
pairs = collections.Counter()
for path in glob.glob(sys.argv[1] + "/*.eml"):
    message = email.message_from_binary_file(open(path, "rb"))
    pairs[(message["From"], results(message, "mx.bench.example"), results(message, "peers.bench.example"))] += 1
print("From | ours (spf, dkim, dmarc) | opendkim+opendmarc (spf, dkim, dmarc) | messages")
for (sender, ours, theirs), n in sorted(pairs.items()):
    print(sender, "|", ours, "|", theirs, "|", n, "" if ours == theirs else "  <- differs")
PY
