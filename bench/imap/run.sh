#!/usr/bin/env bash
# IMAP poll benchmark: 2,000 report mails in a private Dovecot on 127.0.0.1, collected by `dmarc poll --once`
# over STARTTLS (fetch, ingest into SQLite, move to the archive folder), beside Debian's dmarcts-report-parser
# reading a copy of the same mailbox into a private PostgreSQL (it stores into MySQL or PostgreSQL only) when
# dmarcts-report-parser, postgresql and libdbd-pg-perl are installed. Prints messages per second.
# Needs root (Dovecot and PostgreSQL switch to their own users) and dovecot-imapd.  bench/imap/run.sh [MAILS]
# DMARC=DIR/dmarc times that published build instead of publishing this tree (two versions, one after the other,
# under the same load); PEER=no leaves dmarcts-report-parser out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mails=${1:-2000}
work=$(mktemp -d)
chmod 755 "$work"
stop() {
  [ -f "$work/run/master.pid" ] && /usr/sbin/dovecot -c "$work/dovecot.conf" stop 2>/dev/null || true
  [ -f "$work/pg/postmaster.pid" ] && runuser -u postgres -- "$pg/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
pg=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1 || true)
trap stop EXIT

# The installed form (README: Installing): published, ReadyToRun.
if [ -n "${DMARC:-}" ]; then
  dmarc=("$DMARC")
else
  dotnet publish "$repo/analyzer" -c Release -o "$work/dmarc" -nologo -clp:ErrorsOnly >/dev/null
  dmarc=("$work/dmarc/dmarc")
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/server.key" -out "$work/server.pem" 2>/dev/null
mkdir -m 1777 "$work/mail"
printf 'bench:{PLAIN}bench:65534:65534::%s/mail/bench::\npeer:{PLAIN}bench:65534:65534::%s/mail/peer::\n' "$work" "$work" > "$work/users"
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
mkdir -p "$work/mail/peer"
cp -r "$work/mail/bench/Maildir" "$work/mail/peer/Maildir"
chown -R 65534:65534 "$work/mail/bench" "$work/mail/peer"
/usr/sbin/dovecot -c "$work/dovecot.conf"
sleep 1

poll=("${dmarc[@]}" poll --once --host 127.0.0.1 --port "$port" --tls starttls --ca-file "$work/server.pem"
      --user bench --password-file "$work/password" --db "$work/bench.db")
start=$(date +%s.%N)
summary=$("${poll[@]}" 2>"$work/poll.log" | tail -1) || true
end=$(date +%s.%N)
seconds=$(echo "$end - $start" | bc -l)
again=$("${poll[@]}" 2>/dev/null | tail -1) || true

peer_seconds=nan; peer_summary="not run: needs dmarcts-report-parser, postgresql and libdbd-pg-perl"
if [ "${PEER:-yes}" != no ] && [ -x /usr/sbin/dmarcts-report-parser ] && [ -n "$pg" ] && perl -MDBD::Pg -e1 2>/dev/null; then
  pgport=$(free_port)
  mkdir "$work/pg" "$work/dmarcts" && chown postgres "$work/pg"
  runuser -u postgres -- "$pg/initdb" -D "$work/pg" -A trust >/dev/null
  runuser -u postgres -- "$pg/pg_ctl" -D "$work/pg" -l "$work/pg/log" -o "-k $work/pg -p $pgport -c listen_addresses=''" -w start >/dev/null
  runuser -u postgres -- "$pg/psql" -q -h "$work/pg" -p "$pgport" -d postgres -c "CREATE ROLE dmarc LOGIN" -c "CREATE DATABASE dmarc OWNER dmarc"
  cat > "$work/dmarcts/dmarcts-report-parser.conf" <<CONF
\$dbtype = 'Pg'; \$dbname = 'dmarc'; \$dbuser = 'dmarc'; \$dbpass = ''; \$dbhost = '$work/pg'; \$dbport = '$pgport';
\$imapserver = '127.0.0.1'; \$imapport = '$port'; \$imapuser = 'peer'; \$imappass = 'bench';
\$imapssl = '0'; \$imaptls = '1'; \$tlsverify = '0'; \$imapignoreerror = '0';
\$imapreadfolder = 'INBOX'; \$imapmovefolder = 'Processed'; \$imapmovefoldererr = 'NotProcessed';
\$delete_reports = 0; \$delete_failed = 0; \$maxsize_xml = 50000; \$compress_xml = 0;
CONF
  start=$(date +%s.%N)
  (cd "$work/dmarcts" && /usr/sbin/dmarcts-report-parser -i >"$work/dmarcts.log" 2>&1) || true
  tail -3 "$work/dmarcts.log" >&2
  end=$(date +%s.%N)
  peer_seconds=$(echo "$end - $start" | bc -l)
  peer_summary="$(runuser -u postgres -- "$pg/psql" -tA -h "$work/pg" -p "$pgport" -d dmarc -c 'SELECT count(*) FROM report') reports stored"
fi

rate() { [ "$2" = nan ] && echo nan || printf '%.0f' "$(echo "$1 / $2" | bc -l)"; }
printf '| tool | mails | seconds | messages/s | result |\n| --- | --- | --- | --- | --- |\n'
printf '| dmarc poll --once | %d | %.1f | %s | %s; second poll: %s |\n' "$mails" "$seconds" "$(rate "$mails" "$seconds")" "$summary" "$again"
printf '| dmarcts-report-parser -i | %d | %.1f | %s | %s |\n' "$mails" "$peer_seconds" "$(rate "$mails" "$peer_seconds")" "$peer_summary"
