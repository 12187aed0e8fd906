#!/usr/bin/env bash
# tcp_port_forward.sh - `-t 127.0.0.1:HOSTPORT:80`: curl on the host netns's
# 127.0.0.1:HOSTPORT reaches an HTTP server in the guest, content intact
# (a small page and a 32 MiB file by sha256); a connection while nothing
# listens in the guest is reset; after the guest server restarts the
# forward works again, without restarting broth.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd curl sha256sum "$PYTHON"

HPORT=18080
GPORT=80
HERE=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$TMP/www"
echo "hello from the guest $$" >"$TMP/www/index.html"
head -c $((32 * 1048576)) /dev/urandom >"$TMP/www/blob"
want=$(sha256sum "$TMP/www/blob" | cut -d' ' -f1)

# host_get PATH: fetch http://127.0.0.1:HPORT/PATH from the host netns
host_get() { in_ns "$HOSTNS" curl -sS -m 20 "http://127.0.0.1:$HPORT/$1"; }

new_pair
start_broth --configure -t "127.0.0.1:$HPORT:$GPORT"
in_ns "$HOSTNS" ss -Hltn "sport = :$HPORT" | grep -q . ||
	fail "broth does not listen on 127.0.0.1:$HPORT in the host netns"
pass "broth listens on 127.0.0.1:$HPORT"

start_server "$GUESTNS" "$GPORT" guest-httpd "$PYTHON" "$HERE/httpd.py" "$GPORT" "$TMP/www" 0.0.0.0
assert_eq "page through the forward" "hello from the guest $$" "$(host_get index.html)"
assert_eq "32 MiB through the forward (sha256)" "$want" \
	"$(host_get blob | sha256sum | cut -d' ' -f1)"

# the guest server goes away: the host side must fail fast, not hang
kill -TERM "$SERVER_PID"
_port_closed() { ! ns_listening "$GUESTNS" "$GPORT"; }
wait_until 10 _port_closed || fail "guest server did not stop"
t0=$(date +%s%N)
if out=$(host_get index.html 2>&1); then
	fail "the forward answered with nothing listening in the guest: $out"
fi
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 5000 ] || fail "the failed request took $ms ms"
pass "no guest server: the host's request fails in $ms ms ($out)"

start_server "$GUESTNS" "$GPORT" guest-httpd2 "$PYTHON" "$HERE/httpd.py" "$GPORT" "$TMP/www" 0.0.0.0
assert_eq "page after the guest server restarted" "hello from the guest $$" "$(host_get index.html)"

stop_broth
test_done
