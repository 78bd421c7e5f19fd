#!/bin/sh
# A server for clients on the host (the --publish tests): busybox httpd, python3's http.server
# or nginx on 0.0.0.0:PORT serving WWW. Says "ready" once it answers, serves until the file
# STOP exists, then stops the server. python's server logs its clients' addresses, which the
# script prints at the end: its own check comes from eth0's address, the host's clients through
# --publish from their real addresses. Usage: serve.sh httpd|python|nginx PORT WWW STOP
. "$(dirname "$0")/common.sh"
kind=$1 port=$2 www=$3 stop=$4
case $kind in
httpd) busybox httpd -f -p $port -h "$www" & server=$! ;;
python) python3 -m http.server $port --bind 0.0.0.0 --directory "$www" 2>/tmp/http.log & server=$! ;;
nginx) nginx_start /tmp/nginx.$$ $port "$www"; server=$nginx ;;
esac
retry busybox wget -q -O /dev/null http://10.0.2.15:$port/index.html && echo ready
while [ ! -e "$stop" ]; do sleep 0.05; done
kill -TERM $server
wait $server
[ $kind = python ] && echo "clients:" $(cut -d' ' -f1 /tmp/http.log | sort -u)
echo "$kind stopped"
