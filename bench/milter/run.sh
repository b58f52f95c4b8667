#!/usr/bin/env bash
# End-to-end milter benchmark with Postfix's smtp-source: a private Postfix on 127.0.0.1 (own config, queue and
# data folders in a temporary folder, everything delivered to the discard transport), sent COUNT messages over
# 10 concurrent sessions, once without a milter and once with ours. Prints messages/s and CPU seconds.
# The messages are DKIM-signed (python3-dkim) for sender.example, whose key, SPF record (127.0.0.1) and DMARC
# policy come from a zone file: the milter runs offline, so SPF, DKIM and DMARC all pass without a network.
# Usage: bench/milter/run.sh [COUNT]   (run as root; needs postfix, smtp-source, python3-dkim, openssl, dotnet)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-5000}
sessions=${SESSIONS:-10}
root=$(mktemp -d /tmp/milter-bench.XXXX)
chmod 755 "$root"
mkdir -p "$root/conf" "$root/queue" "$root/data"
chown postfix "$root/data"
dotnet build analyzer -c Release -nologo -clp:ErrorsOnly >/dev/null
dmarc=analyzer/bin/Release/net10.0/dmarc

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
smtp_port=$(free_port)
milter_port=$(free_port)
milter_pid=
cleanup() {
  postfix -c "$root/conf" stop >/dev/null 2>&1 || true
  [ -n "$milter_pid" ] && kill -TERM "$milter_pid" 2>/dev/null && wait "$milter_pid" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT

write_config() { # $1: smtpd_milters value
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
default_transport = discard
relay_transport = discard
local_transport = discard
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
CF
}

cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$6+$7+$8}' /proc/stat; }
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

run() { # $1: label, $2: message file or "", $3: milter setting
  write_config "$3"
  postfix -c "$root/conf" start >/dev/null
  sleep 1
  local args=(-s "$sessions" -m "$count" -f bench@sender.example -t rcpt@example.net)
  args+=(-F "$2")
  local milter_before=0
  [ -n "$milter_pid" ] && milter_before=$(proc_ticks "$milter_pid")
  local cpu_before start end cpu_after
  cpu_before=$(cpu_ticks); start=$(date +%s.%N)
  smtp-source "${args[@]}" "127.0.0.1:$smtp_port"
  end=$(date +%s.%N); cpu_after=$(cpu_ticks)
  local milter_cpu=0
  [ -n "$milter_pid" ] && milter_cpu=$(( $(proc_ticks "$milter_pid") - milter_before ))
  local hz; hz=$(getconf CLK_TCK)
  awk -v l="$1" -v n="$count" -v s="$start" -v e="$end" -v c=$((cpu_after - cpu_before)) -v m="$milter_cpu" -v hz="$hz" \
    'BEGIN { printf "%-32s %6d msgs %7.1f s %8.1f msg/s  machine CPU %6.1f s  milter CPU %6.1f s\n", l, n, e-s, n/(e-s), c/hz, m/hz }'
  postfix -c "$root/conf" stop >/dev/null
  sleep 1
}

python3 bench/milter/make-message.py 5120 "$root/5k-plain.eml" text
python3 bench/milter/make-message.py 102400 "$root/100k-plain.eml"
openssl genrsa -out "$root/bench.key" 2048 2>/dev/null
/usr/bin/python3 bench/milter/sign-message.py "$root/bench.key" sender.example "$root/5k-plain.eml" "$root/5k.eml" "$root/bench.zone"
/usr/bin/python3 bench/milter/sign-message.py "$root/bench.key" sender.example "$root/100k-plain.eml" "$root/100k.eml" "$root/bench.zone"

run "5 KB, no milter" "$root/5k.eml" ""
run "100 KB + attachment, no milter" "$root/100k.eml" ""

cat > "$root/dmarc.json" <<CF
{ "Auth": { "AuthservId": "mx.bench.example" },
  "Dns": { "Offline": true, "Zones": [ "$root/bench.zone" ] },
  "Filter": { "Milter": { "MaxConnections": 1000 } } }
CF
"$dmarc" milter --listen "inet:127.0.0.1:$milter_port" --config "$root/dmarc.json" --db "$root/dmarc.db" 2>"$root/milter.log" &
milter_pid=$!
sleep 2
run "5 KB, dmarc milter" "$root/5k.eml" "inet:127.0.0.1:$milter_port"
run "100 KB + attachment, dmarc milter" "$root/100k.eml" "inet:127.0.0.1:$milter_port"
grep -c "fail\|error" "$root/milter.log" >/dev/null && grep -i "fail\|error" "$root/milter.log" | head -5 || true
# Every verdict should say pass three times: the checks really ran.
python3 - "$root/dmarc.db" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT spf, dkim, dmarc, count(*) FROM verdicts GROUP BY 1, 2, 3").fetchall()
print("verdicts (spf, dkim, dmarc, messages):", rows)
PY
