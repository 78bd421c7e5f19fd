#!/bin/sh
# busybox httpd serves WWW on 127.0.0.1:PORT; busybox wget fetches a page, a 2 MiB file and a
# missing page. Usage: httpd-wget.sh PORT WWW
. "$(dirname "$0")/common.sh"
port=$1 www=$2
busybox httpd -f -p 127.0.0.1:$port -h "$www" &
httpd=$!
retry busybox wget -q -O /dev/null http://127.0.0.1:$port/
busybox wget -q -O - http://127.0.0.1:$port/index.html
busybox wget -q -O - http://127.0.0.1:$port/big.bin | md5sum
busybox wget -q -O /dev/null http://127.0.0.1:$port/missing.html 2>/dev/null
echo "missing page: wget status $?"
kill $httpd
wait $httpd
echo "httpd ended by SIGTERM: $([ $? = 143 ] && echo yes || echo no)"
