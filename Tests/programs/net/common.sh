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
