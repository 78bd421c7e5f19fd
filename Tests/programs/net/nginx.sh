#!/bin/sh
# nginx-light, a master and 2 workers in the foreground, serving WWW on 127.0.0.1:PORT, fetched
# with curl: a page, a 2 MiB file (sendfile), a missing page, 3 requests on one kept-alive
# connection, and 20 in parallel. The configuration and every file nginx writes go to a
# directory in /tmp (the guest's own /tmp under umlab). Usage: nginx.sh PORT WWW
. "$(dirname "$0")/common.sh"
port=$1 www=$2 dir=/tmp/nginx.$$
nginx_start $dir 127.0.0.1:$port $www
url=http://127.0.0.1:$port
retry curl -sf -o /dev/null $url/status
curl -s $url/index.html
curl -s $url/big.bin | md5sum
curl -s -o /dev/null -w "missing: %{http_code}\n" $url/missing.html
curl -s -o /dev/null -o /dev/null -o /dev/null -w "%{http_code} new connections: %{num_connects}\n" $url/status $url/status $url/status
curl -s -Z --parallel-max 20 $(seq 20 | sed "s|.*|$url/status|") 2>/dev/null | sort | uniq -c | sed "s/^ */parallel: /"
echo "workers: $(ps -e -o ppid= -o comm= | grep -c "^ *$nginx nginx")"
kill -QUIT $nginx
wait $nginx
echo "nginx status $?"
rm -rf $dir
