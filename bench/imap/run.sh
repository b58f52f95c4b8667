#!/usr/bin/env bash
# IMAP poll benchmark: 2,000 report mails in a private Dovecot on 127.0.0.1, collected by `dmarc poll --once`
# over STARTTLS (fetch, ingest into SQLite, move to the archive folder). Prints messages per second.
# Needs root (Dovecot switches to its own users) and dovecot-imapd.  bench/imap/run.sh [MAILS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mails=${1:-2000}
work=$(mktemp -d)
chmod 755 "$work"
stop() { [ -f "$work/run/master.pid" ] && /usr/sbin/dovecot -c "$work/dovecot.conf" stop 2>/dev/null || true; rm -rf "$work"; }
trap stop EXIT

dotnet build "$repo/analyzer" -c Release -nologo -clp:ErrorsOnly >/dev/null
dmarc=(dotnet "$repo/analyzer/bin/Release/net10.0/dmarc.dll")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/server.key" -out "$work/server.pem" 2>/dev/null
mkdir -m 1777 "$work/mail"
echo "bench:{PLAIN}bench:65534:65534::$work/mail/bench::" > "$work/users"
printf 'bench\n' > "$work/password"
cat > "$work/dovecot.conf" <<CONF
base_dir = $work/run
state_dir = $work/state
log_path = $work/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$work/server.pem
ssl_key = <$work/server.key
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $work/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $work/users
}
mail_location = maildir:~/Maildir
service auth {
  user = root
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
CONF

python3 "$here/make-mails.py" "$work/mail/bench/Maildir" --mails "$mails"
chown -R 65534:65534 "$work/mail/bench"
/usr/sbin/dovecot -c "$work/dovecot.conf"
sleep 1

poll=("${dmarc[@]}" poll --once --host 127.0.0.1 --port "$port" --tls starttls --ca-file "$work/server.pem"
      --user bench --password-file "$work/password" --db "$work/bench.db")
start=$(date +%s.%N)
summary=$("${poll[@]}" 2>"$work/poll.log" | tail -1) || true
end=$(date +%s.%N)
seconds=$(echo "$end - $start" | bc -l)
again=$("${poll[@]}" 2>/dev/null | tail -1) || true

printf '| mails | seconds | messages/s | summary | second poll |\n| --- | --- | --- | --- | --- |\n'
printf '| %d | %.1f | %.0f | %s | %s |\n' "$mails" "$seconds" "$(echo "$mails / $seconds" | bc -l)" "$summary" "$again"

if command -v dmarcts-report-parser >/dev/null || [ -x /usr/bin/dmarcts-report-parser.pl ]; then
  echo "dmarcts-report-parser is installed, but it stores into MySQL or PostgreSQL only: no server here to run it against." >&2
fi
