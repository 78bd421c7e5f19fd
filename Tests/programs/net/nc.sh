#!/bin/sh
# nc -l / nc both ways, busybox's and OpenBSD's. Usage: nc.sh PORT
#
# busybox nc half-closes the connection when its standard input ends and exits when the
# network side ends, so a receiving busybox nc gets a standard input that stays open (a FIFO
# this shell holds open): otherwise its early half-close could end the sender before it sends.
. "$(dirname "$0")/common.sh"
port=$1 got=/tmp/nc-got.$$ fifo=/tmp/nc-fifo.$$
mkfifo $fifo
exec 3<>$fifo
busybox nc -l -p $port > $got <&3 &
server=$!
retry sh -c "echo 'client to server (busybox to busybox)' | busybox nc 127.0.0.1 $port"
wait $server; echo "server status $?"; cat $got

echo 'server to client (busybox to openbsd)' | busybox nc -l -p $port &
server=$!
retry nc -d 127.0.0.1 $port
wait $server; echo "server status $?"

nc -l 127.0.0.1 $port > $got < /dev/null &
server=$!
retry sh -c "echo 'client to server (busybox to openbsd)' | busybox nc 127.0.0.1 $port"
wait $server; echo "server status $?"; cat $got

echo 'server to client (openbsd to openbsd)' | nc -N -l 127.0.0.1 $port &
server=$!
retry nc -d 127.0.0.1 $port
wait $server; echo "server status $?"
exec 3<&-
rm -f $got $fifo
