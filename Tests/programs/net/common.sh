# Helpers the network drivers share (sourced; busybox sh, dash and bash).

# retry CMD...: runs CMD until it succeeds (a server that is starting), at most 400 times
# 50 ms apart; says so on stdout if it never does, which makes the test's comparison fail.
retry() {
    n=0
    until "$@" 2>/dev/null; do
        n=$((n + 1))
        if [ $n -ge 400 ]; then echo "never succeeded: $*"; return 1; fi
        sleep 0.05
    done
}

# nginx_start DIR LISTEN WWW: writes DIR/nginx.conf (a master and 2 workers in the foreground,
# every file nginx writes in DIR, pages from WWW, /status answered by nginx itself) and starts
# nginx in the background; $nginx is its pid.
nginx_start() {
    mkdir -p $1
    cat > $1/nginx.conf <<CONF
daemon off;
master_process on;
worker_processes 2;
error_log stderr crit;
pid $1/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    types { text/html html; application/octet-stream bin; }
    sendfile on;
    server {
        listen $2;
        root $3;
        location /status { return 200 "nginx answers\n"; }
    }
}
CONF
    nginx -p $1 -c $1/nginx.conf &
    nginx=$!
}
