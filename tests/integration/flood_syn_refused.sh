#!/usr/bin/env bash
# flood_syn_refused.sh - flood_syn.sh with every SYN to a refused port: no
# connection hangs, so the flow table never fills and only the guest's
# --flow-rate keeps broth out of socket()/connect() for each SYN.
BROTH_TEST_NAME=flood_syn_refused FLOOD_LISTEN_PCT=0 exec "$(dirname "$0")/flood_syn.sh" "$@"
