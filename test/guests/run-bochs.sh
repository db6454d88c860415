#!/bin/sh
# run-bochs.sh NAME.bin OUT: run a guest ROM under Bochs 2.7 (Debian: apt-get
# install bochs bochs-term vgabios), port 0xE9 output to OUT. An optional
# second reference next to QEMU (run-qemu.sh); the tests do not use it.
# Bochs runs with its debugger (continue at once) and the term display in a
# pseudo-terminal; it spins on cli;hlt, so the timeout stops it.
bin=$(readlink -f "$1"); out=$2
dir=$(mktemp -d)
cat > "$dir/rc" <<CFG
megs: 32
romimage: file=$bin
cpu: model=corei7_sandy_bridge_2600k, ips=50000000
display_library: term
port_e9_hack: enabled=1
log: $dir/log
panic: action=fatal
error: action=report
CFG
echo c > "$dir/cmd"
timeout ${TIMEOUT:-10} script -qc "bochs -q -f $dir/rc -rc $dir/cmd" /dev/null </dev/null >"$dir/stdout" 2>/dev/null
# keep the port 0xE9 lines, drop the display's escape sequences
tr -d '\r' < "$dir/stdout" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | grep -a -E '^((not )?ok [0-9]+ - |done [0-9]+$)' > "$out"
rm -rf "$dir"
exit 0
