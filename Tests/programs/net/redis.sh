#!/bin/sh
# redis-server on 127.0.0.1:PORT, a short redis-benchmark (50 clients, 2000 requests a test)
# and redis-cli. Usage: redis.sh PORT
. "$(dirname "$0")/common.sh"
port=$1 dir=/tmp/redis.$$
mkdir -p $dir
redis-server --port $port --bind 127.0.0.1 --save "" --appendonly no --dir $dir --daemonize no \
    --logfile $dir/log --loglevel warning &
server=$!
cli="redis-cli -h 127.0.0.1 -p $port"
retry $cli ping > /dev/null
$cli ping
redis-benchmark -h 127.0.0.1 -p $port -n 2000 -q -t set,get,incr,lpush,lpop,mset | tr '\r' '\n' \
    | grep "requests per second" | sed 's/:.*/: done/'
echo "counter after 2000 INCR: $($cli get counter:__rand_int__)"
$cli set greeting "hello from redis-cli"
$cli get greeting
$cli rpush list a b c > /dev/null
$cli lrange list 0 -1
$cli shutdown nosave
wait $server
echo "redis-server status $?"
rm -rf $dir
