#!/bin/sh
# nginx-light, a master and 2 workers in the foreground, serving WWW on 127.0.0.1:PORT, fetched
# with curl: a page, a 2 MiB file (sendfile), a missing page, 3 requests on one kept-alive
# connection, and 20 in parallel. The configuration and every file nginx writes go to a
# directory in /tmp (the guest's own /tmp under umlab). Usage: nginx.sh PORT WWW
. "$(dirname "$0")/common.sh"
port=$1 www=$2 dir=/tmp/nginx.$$
mkdir -p $dir
cat > $dir/nginx.conf <<CONF
daemon off;
master_process on;
worker_processes 2;
error_log stderr crit;
pid $dir/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    types { text/html html; application/octet-stream bin; }
    sendfile on;
    server {
        listen 127.0.0.1:$port;
        root $www;
        location /status { return 200 "nginx answers\n"; }
    }
}
CONF
nginx -p $dir -c $dir/nginx.conf &
nginx=$!
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
