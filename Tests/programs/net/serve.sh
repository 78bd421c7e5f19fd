#!/bin/sh
# A server for clients on the host (the --publish tests): busybox httpd, python3's http.server
# or nginx on 0.0.0.0:PORT serving WWW. Says "ready" once it answers, serves until the file
# STOP exists, then stops the server. Usage: serve.sh httpd|python|nginx PORT WWW STOP
. "$(dirname "$0")/common.sh"
kind=$1 port=$2 www=$3 stop=$4
case $kind in
httpd) busybox httpd -f -p $port -h "$www" & server=$! ;;
python) python3 -m http.server $port --bind 0.0.0.0 --directory "$www" 2>/dev/null & server=$! ;;
nginx) nginx_start /tmp/nginx.$$ $port "$www"; server=$nginx ;;
esac
retry busybox wget -q -O /dev/null http://127.0.0.1:$port/index.html && echo ready
while [ ! -e "$stop" ]; do sleep 0.05; done
kill -TERM $server
wait $server
echo "$kind stopped"
