#!/usr/bin/env bash
# tcp_curl_transfer.sh - the guest downloads a file with curl from an HTTP
# server on the host's 127.0.0.1, through the gateway (10.0.0.1:PORT), and
# uploads one (curl -T): the sha256 must match both ways. Prints MB/s.
#
# Size: TCP_TRANSFER_MB (default 256, to keep CI fast). The acceptance size
# of the TCP issue is 1 GiB:
#   sudo TCP_TRANSFER_MB=1024 BROTH_WORKERS=2 tests/integration/tcp_curl_transfer.sh
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd curl sha256sum ss ip "$PYTHON"

MB=${TCP_TRANSFER_MB:-256}
[[ $MB =~ ^[1-9][0-9]*$ ]] || fail "TCP_TRANSFER_MB must be a positive integer, not '$MB'"
BYTES=$((MB * 1048576))
PORT=8080
# per-transfer time limit: a floor of 20 MB/s plus 30 s
LIMIT=$((30 + MB / 20))
HERE=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$TMP/www"
head -c "$BYTES" /dev/urandom >"$TMP/www/blob" || fail "cannot write a $MB MiB file in $TMP"
want=$(sha256sum "$TMP/www/blob" | cut -d' ' -f1)
info "file: $MB MiB, sha256 $want"

new_pair
start_server "$HOSTNS" "$PORT" httpd "$PYTHON" "$HERE/httpd.py" "$PORT" "$TMP/www"
start_broth --configure

# mb_per_s BYTES_PER_S: MiB/s with one decimal
mb_per_s() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# download
rc=0
gexec curl -sS -m "$LIMIT" -o "$TMP/down" \
	-w '%{http_code} %{size_download} %{speed_download}\n' \
	"http://10.0.0.1:$PORT/blob" >"$TMP/down.w" 2>"$TMP/down.err" || rc=$?
[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$TMP/down.err" >&2; fail_stats "curl download exit status $rc"; }
read -r code size speed <"$TMP/down.w"
assert_eq "download HTTP status" 200 "$code"
assert_eq "download bytes" "$BYTES" "$size"
assert_eq "download sha256" "$want" "$(sha256sum "$TMP/down" | cut -d' ' -f1)"
info "download: $MB MiB at $(mb_per_s "$speed") MiB/s"
rm -f "$TMP/down"

# upload: the server answers "<sha256> <bytes>"
rc=0
gexec curl -sS -m "$LIMIT" -T "$TMP/www/blob" \
	-w '%{http_code} %{size_upload} %{speed_upload}\n' \
	"http://10.0.0.1:$PORT/upload" >"$TMP/up.w" 2>"$TMP/up.err" || rc=$?
[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$TMP/up.err" >&2; fail_stats "curl upload exit status $rc"; }
read -r got_sha got_n <"$TMP/up.w"
read -r code size speed < <(tail -n 1 "$TMP/up.w")
assert_eq "upload HTTP status" 200 "$code"
assert_eq "upload bytes sent" "$BYTES" "$size"
assert_eq "upload bytes the server read" "$BYTES" "$got_n"
assert_eq "upload sha256 (server side)" "$want" "$got_sha"
info "upload: $MB MiB at $(mb_per_s "$speed") MiB/s"

# both connections ended cleanly: broth counts them closed
_all_closed() {
	stats=$(broth_stats)
	opened=$(stat_tcp opened "$stats")
	closed=$(stat_tcp closed "$stats")
	[ "$opened" -ge 2 ] && [ "$opened" = "$closed" ]
}
wait_until 10 _all_closed ||
	fail "tcp opened $opened closed $closed 10s after both transfers ended"
pass "tcp opened $opened, closed $closed"
info "retransmissions: rto $(stat_tcp rto "$stats"), fast $(stat_tcp fast_rexmit "$stats")"

stop_broth
test_done
