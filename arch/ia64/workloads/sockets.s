// sockets.s -- sockets on IA-64: a socketpair round trip (stream, then datagram boundaries and
// EAGAIN), a TCP listener on the loopback (bind 127.0.0.1:0, getsockname for the port, listen;
// a forked client connects, sends "ping" and its own port, shuts its writing side; the parent
// accepts, reads to EOF, checks the peer's address three ways, replies "pong" and shuts down;
// the client's exit status says it read exactly "pong" and EOF), ECONNREFUSED from a port that
// is bound but not listening, EAGAIN from accept4 on a non-blocking listener, ENETUNREACH for
// 8.8.8.8 (umlab sequesters its guests: sockets.c prints that line without making the call), a
// UDP datagram and recvfrom's address, SO_TYPE, and SCM_RIGHTS of a pipe's read end over a
// unix socketpair.  Prints what sockets.c prints.
// IA-64 has its own send(2) and recv(2) (1198, 1200), used here besides read/write/sendto/
// recvfrom/sendmsg/recvmsg.  struct sockaddr_in is built as two doublewords: the first holds
// the family (2, little-endian), the port and the address (both in network order).
        .include "lib.inc"
        .set SYS_socket,      1190
        .set SYS_bind,        1191
        .set SYS_connect,     1192
        .set SYS_listen,      1193
        .set SYS_accept,      1194
        .set SYS_getsockname, 1195
        .set SYS_getpeername, 1196
        .set SYS_socketpair,  1197
        .set SYS_send,        1198
        .set SYS_sendto,      1199
        .set SYS_recv,        1200
        .set SYS_recvfrom,    1201
        .set SYS_shutdown,    1202
        .set SYS_sendmsg,     1205
        .set SYS_getsockopt,  1204
        .set SYS_recvmsg,     1206
        .set SYS_accept4,     1334

        .set AF_UNIX, 1
        .set AF_INET, 2
        .set SOCK_STREAM, 1
        .set SOCK_DGRAM, 2
        .set SOCK_NONBLOCK, 0x800
        .set SOCK_CLOEXEC, 0x80000
        .set SOL_SOCKET, 1
        .set SO_TYPE, 3
        .set SCM_RIGHTS, 1
        .set MSG_DONTWAIT, 0x40
        .set MSG_NOSIGNAL, 0x4000
        .set SHUT_WR, 1
        .set SIGCHLD, 17
        .set BUFSIZE, 64
        // The first doubleword of a sockaddr_in: AF_INET, port 0, 127.0.0.1 / 8.8.8.8 port 53.
        .set LOOPBACK_ANY_PORT, 0x0100007f00000002
        .set GOOGLE_DNS, 0x0808080835000002
        // Family and address of that doubleword, without the port.
        .set FAMILY_ADDRESS, 0xffffffff0000ffff
        .set PING, 0x676e6970           // "ping" as a little-endian word
        .set PONG, 0x676e6f70           // "pong"

// SYS nr, args...: the arguments (registers or small constants) into out0.. and the call. It
// starts with a stop, so an argument register may be set just before.
        .macro SYS nr, a0, a1, a2, a3, a4, a5
        ;;
        .ifnb \a0
        mov out0 = \a0
        .endif
        .ifnb \a1
        mov out1 = \a1
        .endif
        .ifnb \a2
        mov out2 = \a2
        .endif
        .ifnb \a3
        mov out3 = \a3
        .endif
        .ifnb \a4
        mov out4 = \a4
        .endif
        .ifnb \a5
        mov out5 = \a5
        .endif
        SYSCALL \nr
        .endm

// KEEP reg: after a SYSCALL, reg = its result, or -1 when it failed (r8, r10 unchanged).
        .macro KEEP reg
        cmp.ne p6, p0 = 0, r10
        mov \reg = r8
        ;;
(p6)    mov \reg = -1
        ;;
        .endm

// FD "what": after a SYSCALL that makes a descriptor, "what: fd" (its number is not printed:
// a native run may have inherited others), or fail("what").
        .macro FD what
        .pushsection .rodata
.Lfd\@: .asciz "\what"
        .popsection
        mov out1 = r10
        movl out0 = .Lfd\@
        ;;
        CALL show_fd
        .endm

// FAILIF "what": after a SYSCALL, fail("what") when it failed.
        .macro FAILIF what
        .pushsection .rodata
.Lfail\@: .asciz "\what"
        .popsection
        cmp.ne p6, p0 = 0, r10
        movl out0 = .Lfail\@
        ;;
(p6)    br.call.spnt.many b0 = fail
        ;;
        .endm

// DATA "what", p, n: what: "the n bytes at p" (nothing between the quotes when n <= 0).
        .macro DATA what, p, n
        .pushsection .rodata
.Ldata\@: .asciz "\what"
        .popsection
        mov out1 = \p
        mov out2 = \n
        movl out0 = .Ldata\@
        ;;
        CALL show_data
        .endm

// KV "label", reg: label and the value in decimal (print_kv).
        .macro KV label, v
        .pushsection .rodata
.Lkv\@: .asciz "\label"
        .popsection
        mov out1 = \v
        movl out0 = .Lkv\@
        ;;
        CALL print_kv
        .endm

// EXITIF rel, a, b, code: exit(code) when cmp.rel a, b holds (the client's verdicts).
        .macro EXITIF rel, a, b, code
        cmp.\rel p6, p0 = \a, \b
        mov out0 = \code
        ;;
(p6)    br.call.spnt.many b0 = exit
        ;;
        .endm

// FLAG reg: reg = 1 when p6, 0 when p7 (after a chain of compares).
        .macro FLAG reg
(p6)    mov \reg = 1
(p7)    mov \reg = 0
        ;;
        .endm

        .section .rodata
.Lhello:    .asciz "hello"
.Lworld:    .asciz "world!"
.Lx:        .asciz "x"
.La:        .asciz "a"
.Lbcd:      .asciz "bcd"
.Lpong:     .asciz "pong"
.Ldatagram: .asciz "datagram"
.LF:        .asciz "F"
.Lthrough:  .asciz "through the pipe"
.Lquote:    .asciz ": \""
.Lendquote: .asciz "\"\n"
.Lfdtext:   .asciz ": fd\n"
.Llevel:    .asciz "cmsg level, type: "
.Ltype:     .asciz "SO_TYPE, length: "
.Ldone:     .asciz "sockets: done\n"

        .bss
        .align 16
buf:     .skip BUFSIZE
cbuf:    .skip 16                       // the client's message and reply
sv:      .skip 8                        // int[2] of socketpair
len:     .skip 8                        // a socklen_t
clen:    .skip 8
status:  .skip 8
optval:  .skip 8
addr:    .skip 16                       // struct sockaddr_in
peer:    .skip 16
named:   .skip 16
quiet:   .skip 16
me:      .skip 16
a1:      .skip 16
a2:      .skip 16
room:    .skip 32                       // a sockaddr_in6's worth (28 bytes)
iov:     .skip 16                       // struct iovec
riov:    .skip 16
msg:     .skip 56                       // struct msghdr (LP64)
rmsg:    .skip 56
cout:    .skip 24                       // CMSG_SPACE(sizeof(int))
cin:     .skip 64

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 1, 1, 0
        ;;
        CALL pairs
        CALL tcp
        CALL udp
        CALL rights
        movl out0 = .Ldone
        ;;
        CALL print_str
        mov out0 = 0
        ;;
        CALL exit
        .endp _start

// show_fd(what, failed): "what: fd", or fail(what).
        .proc show_fd
show_fd:
        alloc loc0 = ar.pfs, 2, 2, 1, 0
        mov loc1 = b0
        cmp.ne p6, p0 = 0, in1
        mov out0 = in0
        ;;
(p6)    br.call.spnt.many b0 = fail
        ;;
        CALL print_str
        movl out0 = .Lfdtext
        ;;
        CALL print_str
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp show_fd

// show_data(what, p, n): what: "the n bytes at p" (n <= 0: none).
        .proc show_data
show_data:
        alloc loc0 = ar.pfs, 3, 2, 3, 0
        mov loc1 = b0
        mov out0 = in0
        ;;
        CALL print_str
        movl out0 = .Lquote
        ;;
        CALL print_str
        cmp.lt p6, p0 = 0, in2
        mov out0 = 1
        mov out1 = in1
        mov out2 = in2
        ;;
(p6)    mov r15 = SYS_write
        ;;
(p6)    break.m 0x100000
        ;;
        movl out0 = .Lendquote
        ;;
        CALL print_str
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp show_data

// loopback(sa): sa = { AF_INET, port 0, 127.0.0.1 }.
        .proc loopback
loopback:
        alloc r2 = ar.pfs, 1, 0, 0, 0
        movl r14 = LOOPBACK_ANY_PORT
        adds r16 = 8, in0
        ;;
        st8 [in0] = r14
        st8 [r16] = r0
        br.ret.sptk.many b0
        .endp loopback

// set_msg(m, iov, control, controllen): a msghdr without a name, one iovec, the control buffer.
        .proc set_msg
set_msg:
        alloc r2 = ar.pfs, 4, 0, 0, 0
        mov r14 = in0
        mov r16 = 1
        ;;
        st8 [r14] = r0, 8               // msg_name
        ;;
        st8 [r14] = r0, 8               // msg_namelen and padding
        ;;
        st8 [r14] = in1, 8              // msg_iov
        ;;
        st8 [r14] = r16, 8              // msg_iovlen
        ;;
        st8 [r14] = in2, 8              // msg_control
        ;;
        st8 [r14] = in3, 8              // msg_controllen
        ;;
        st8 [r14] = r0                  // msg_flags and padding
        br.ret.sptk.many b0
        .endp set_msg

// pairs(): a stream socketpair both ways, EOF and EPIPE after the peer closed; a datagram
// socketpair keeps message boundaries and gives EAGAIN when empty.
        .proc pairs
pairs:
        alloc loc0 = ar.pfs, 0, 8, 6, 0
        mov loc1 = b0
        movl loc2 = sv
        movl loc3 = buf
        ;;
        SYS SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, loc2
        SHOW "socketpair stream"
        adds r14 = 4, loc2
        ld4 loc4 = [loc2]               // sv[0]
        ;;
        ld4 loc5 = [r14]                // sv[1]
        movl loc6 = .Lhello
        ;;
        SYS SYS_write, loc4, loc6, 5
        SHOW "stream write"
        SYS SYS_read, loc5, loc3, BUFSIZE
        KEEP loc7
        SHOW "stream read"
        DATA "stream data", loc3, loc7
        movl loc6 = .Lworld
        ;;
        SYS SYS_send, loc5, loc6, 6, 0
        SHOW "stream reply send"
        SYS SYS_recv, loc4, loc3, BUFSIZE, 0
        KEEP loc7
        SHOW "stream reply recv"
        DATA "stream reply data", loc3, loc7
        SYS SYS_close, loc5
        SYS SYS_read, loc4, loc3, BUFSIZE
        SHOW "stream read after the peer closed"
        movl loc6 = .Lx
        ;;
        SYS SYS_send, loc4, loc6, 1, MSG_NOSIGNAL
        SHOW "stream send after the peer closed"
        SYS SYS_close, loc4

        SYS SYS_socketpair, AF_UNIX, SOCK_DGRAM, 0, loc2
        SHOW "socketpair dgram"
        adds r14 = 4, loc2
        ld4 loc4 = [loc2]
        ;;
        ld4 loc5 = [r14]
        movl loc6 = .La
        ;;
        SYS SYS_send, loc4, loc6, 1, 0
        SHOW "dgram send 1 byte"
        movl loc6 = .Lbcd
        ;;
        SYS SYS_send, loc4, loc6, 3, 0
        SHOW "dgram send 3 bytes"
        SYS SYS_recv, loc5, loc3, BUFSIZE, 0
        SHOW "dgram recv"
        SYS SYS_recv, loc5, loc3, BUFSIZE, 0
        KEEP loc7
        SHOW "dgram recv"
        DATA "dgram data", loc3, loc7
        SYS SYS_recv, loc5, loc3, BUFSIZE, MSG_DONTWAIT
        SHOW "dgram recv when empty"
        SYS SYS_close, loc4
        SYS SYS_close, loc5
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp pairs

// tcp(): the listener and its forked client, then a refused and an unreachable connect.
        .proc tcp
tcp:
        alloc loc0 = ar.pfs, 0, 12, 6, 0
        mov loc1 = b0
        movl loc2 = addr
        movl loc3 = buf
        movl loc4 = len
        ;;
        mov out0 = loc2
        ;;
        CALL loopback
        SYS SYS_socket, AF_INET, SOCK_STREAM, 0
        mov loc5 = r8                   // the listener
        FD "tcp socket"
        SYS SYS_bind, loc5, loc2, 16
        SHOW "bind 127.0.0.1:0"
        mov r14 = 16
        ;;
        st4 [loc4] = r14
        SYS SYS_getsockname, loc5, loc2, loc4
        SHOW "getsockname"
        ld4 r14 = [loc4]
        ;;
        KV "getsockname length: ", r14
        ld8 r14 = [loc2]
        movl r16 = FAMILY_ADDRESS
        movl r17 = LOOPBACK_ANY_PORT
        ;;
        and r18 = r14, r16
        extr.u r19 = r14, 16, 16        // the port
        ;;
        cmp.eq p6, p7 = r18, r17
        ;;
(p6)    cmp.ne p6, p7 = 0, r19
        ;;
        FLAG r20
        YESNO "bound to 127.0.0.1 and a port", ne, 0, r20
        SYS SYS_listen, loc5, 4
        SHOW "listen"

        // fork = clone(SIGCHLD, 0, 0, 0, 0); the child is the client
        SYS SYS_clone, SIGCHLD, 0, 0, 0, 0
        FAILIF "fork"
        cmp.eq p6, p0 = 0, r8
        mov loc6 = r8                   // the client's pid
        mov out0 = loc2
        ;;
(p6)    br.call.spnt.many b0 = client   // does not return
        ;;
        movl loc7 = peer
        mov r14 = 16
        ;;
        st4 [loc4] = r14
        SYS SYS_accept, loc5, loc7, loc4
        mov loc8 = r8                   // the server's end
        FD "accept"
        ld4 r14 = [loc4]
        ;;
        KV "accept address length: ", r14
        ld8 r14 = [loc7]
        movl r16 = FAMILY_ADDRESS
        movl r17 = LOOPBACK_ANY_PORT
        ;;
        and r14 = r14, r16
        ;;
        YESNO "peer is 127.0.0.1", eq, r14, r17

        // read to EOF (loc9 = bytes in all)
        mov loc9 = 0
.Ltcp_read:
        ;;
        add r14 = loc3, loc9
        mov r16 = BUFSIZE
        ;;
        sub r16 = r16, loc9
        SYS SYS_read, loc8, r14, r16
        cmp.ne p6, p0 = 0, r10
        cmp.lt p7, p0 = 0, r8
        ;;
(p6)    br.cond.dpnt .Ltcp_eof
(p7)    add loc9 = loc9, r8
(p7)    br.cond.sptk .Ltcp_read
        ;;
.Ltcp_eof:
        SHOW "server read at EOF"
        KV "server read in all: ", loc9
        cmp.lt p6, p0 = 4, loc9
        mov r14 = loc9
        ;;
(p6)    mov r14 = 4
        ;;
        DATA "server data", loc3, r14
        // the port the client sent (bytes 4, 5) is the port accept gave
        adds r14 = 4, loc3
        adds r16 = 2, loc7
        ;;
        ld1 r17 = [r14], 1
        ld1 r18 = [r16], 1
        ;;
        ld1 r19 = [r14]
        ld1 r20 = [r16]
        cmp.eq p6, p7 = 6, loc9
        ;;
(p6)    cmp.eq p6, p7 = r17, r18
        ;;
(p6)    cmp.eq p6, p7 = r19, r20
        ;;
        FLAG r21
        YESNO "peer port is the client's own", ne, 0, r21
        movl loc10 = named
        mov r14 = 16
        ;;
        st4 [loc4] = r14
        SYS SYS_getpeername, loc8, loc10, loc4
        SHOW "getpeername"
        ld4 r14 = [loc4]
        ld8 r16 = [loc10]
        ld8 r17 = [loc7]
        ;;
        cmp.eq p6, p7 = 16, r14
        ;;
(p6)    cmp.eq p6, p7 = r16, r17
        ;;
        FLAG r21
        YESNO "getpeername is accept's address", ne, 0, r21
        movl r14 = .Lpong
        ;;
        SYS SYS_write, loc8, r14, 4
        SHOW "server write"
        SYS SYS_shutdown, loc8, SHUT_WR
        SHOW "server shutdown"
        movl loc11 = status
        mov r14 = -1
        ;;
        st4 [loc11] = r14
        SYS SYS_wait4, loc6, loc11, 0, 0
        ld4 r14 = [loc11]
        ;;
        sxt4 r14 = r14
        ;;
        KV "client exit status: ", r14
        SYS SYS_close, loc8
        SYS SYS_close, loc5

        // a port bound by a socket that does not listen: the connect is refused
        movl loc7 = quiet
        ;;
        mov out0 = loc7
        ;;
        CALL loopback
        SYS SYS_socket, AF_INET, SOCK_STREAM, 0
        mov loc5 = r8
        FD "quiet socket"
        SYS SYS_bind, loc5, loc7, 16
        FAILIF "bind quiet"
        mov r14 = 16
        ;;
        st4 [loc4] = r14
        SYS SYS_getsockname, loc5, loc7, loc4
        FAILIF "getsockname quiet"
        SYS SYS_socket, AF_INET, SOCK_STREAM, 0
        mov loc8 = r8
        FD "client socket"
        SYS SYS_connect, loc8, loc7, 16
        SHOW "connect to a port nobody listens on"
        SYS SYS_close, loc8
        SYS SYS_close, loc5

        // accept4 on a listener made non-blocking by socket's SOCK_NONBLOCK, nothing pending
        mov out0 = loc7
        ;;
        CALL loopback
        SYS SYS_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0
        mov loc5 = r8
        FD "non-blocking listener"
        SYS SYS_bind, loc5, loc7, 16
        FAILIF "bind non-blocking"
        SYS SYS_listen, loc5, 1
        FAILIF "listen non-blocking"
        SYS SYS_accept4, loc5, 0, 0, SOCK_CLOEXEC
        SHOW "accept4 with nothing pending"
        SYS SYS_close, loc5

        // anything but this machine is an unreachable network to a sequestered guest
        SYS SYS_socket, AF_INET, SOCK_STREAM, 0
        mov loc8 = r8
        FAILIF "socket for 8.8.8.8"
        movl r14 = GOOGLE_DNS
        adds r16 = 8, loc7
        ;;
        st8 [loc7] = r14
        st8 [r16] = r0
        SYS SYS_connect, loc8, loc7, 16
        SHOW "connect to 8.8.8.8:53"
        SYS SYS_close, loc8
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp tcp

// client(server): connect, send "ping" and the own port (getsockname), shut the writing side,
// read to EOF; exit(0) when the reply was exactly "pong", else 10-13 by the step that failed.
        .proc client
client:
        alloc loc0 = ar.pfs, 1, 6, 6, 0
        mov loc1 = b0
        movl loc3 = me
        movl loc4 = clen
        movl loc5 = cbuf
        ;;
        SYS SYS_socket, AF_INET, SOCK_STREAM, 0
        mov loc2 = r8
        EXITIF ne, 0, r10, 10
        SYS SYS_connect, loc2, in0, 16
        EXITIF ne, 0, r10, 10
        mov r14 = 16
        ;;
        st4 [loc4] = r14
        SYS SYS_getsockname, loc2, loc3, loc4
        EXITIF ne, 0, r10, 11
        adds r14 = 2, loc3
        movl r17 = PING
        ;;
        ld2 r16 = [r14]                 // sin_port, as it is in memory
        st4 [loc5] = r17
        adds r18 = 4, loc5
        ;;
        st2 [r18] = r16
        SYS SYS_write, loc2, loc5, 6
        EXITIF ne, 0, r10, 12
        EXITIF ne, 6, r8, 12
        SYS SYS_shutdown, loc2, SHUT_WR
        EXITIF ne, 0, r10, 12
        mov loc4 = 0                    // bytes read
        ;;
.Lcl_read:
        add r14 = loc5, loc4
        mov r16 = 16
        ;;
        sub r16 = r16, loc4
        SYS SYS_read, loc2, r14, r16
        cmp.ne p6, p0 = 0, r10
        cmp.lt p7, p0 = 0, r8
        ;;
(p6)    br.cond.dpnt .Lcl_bad
(p7)    add loc4 = loc4, r8
(p7)    br.cond.sptk .Lcl_read
        ;;
        EXITIF ne, 4, loc4, 13
        ld4 r14 = [loc5]
        movl r16 = PONG
        ;;
        EXITIF ne, r14, r16, 13
        mov out0 = 0
        ;;
        CALL exit
.Lcl_bad:
        mov out0 = 13
        ;;
        CALL exit
        .endp client

// udp(): a datagram between two bound UDP sockets; recvfrom's address is the sender's, and its
// length shrinks from a sockaddr_in6's to 16.
        .proc udp
udp:
        alloc loc0 = ar.pfs, 0, 10, 6, 0
        mov loc1 = b0
        movl loc2 = a1
        movl loc3 = a2
        movl loc4 = len
        movl loc5 = buf
        ;;
        mov out0 = loc2
        ;;
        CALL loopback
        mov out0 = loc3
        ;;
        CALL loopback
        SYS SYS_socket, AF_INET, SOCK_DGRAM, 0
        mov loc6 = r8
        FD "udp socket 1"
        SYS SYS_socket, AF_INET, SOCK_DGRAM, 0
        mov loc7 = r8
        FD "udp socket 2"
        SYS SYS_bind, loc6, loc2, 16
        SHOW "udp bind 1"
        SYS SYS_bind, loc7, loc3, 16
        SHOW "udp bind 2"
        movl loc8 = optval
        mov r14 = -1
        mov r16 = 4
        ;;
        st4 [loc8] = r14
        st4 [loc4] = r16
        SYS SYS_getsockopt, loc6, SOL_SOCKET, SO_TYPE, loc8, loc4
        SHOW "getsockopt SO_TYPE"
        movl out0 = .Ltype
        ;;
        CALL print_str
        ld4 out0 = [loc8]
        mov out1 = ' '
        ;;
        CALL print_u64c
        ld4 out0 = [loc4]
        ;;
        CALL print_u64
        mov r14 = 16
        ;;
        st4 [loc4] = r14
        SYS SYS_getsockname, loc6, loc2, loc4
        mov r14 = 16
        ;;
        st4 [loc4] = r14
        SYS SYS_getsockname, loc7, loc3, loc4
        movl r14 = .Ldatagram
        ;;
        SYS SYS_sendto, loc7, r14, 8, 0, loc2, 16
        SHOW "udp sendto"
        movl loc8 = room
        mov r14 = 28
        ;;
        st4 [loc4] = r14
        SYS SYS_recvfrom, loc6, loc5, BUFSIZE, 0, loc8, loc4
        KEEP loc9
        SHOW "udp recvfrom"
        DATA "udp data", loc5, loc9
        ld4 r14 = [loc4]
        ;;
        KV "recvfrom address length: ", r14
        ld8 r14 = [loc8]
        ld8 r16 = [loc3]
        ;;
        YESNO "recvfrom address is the sender's", eq, r14, r16
        SYS SYS_close, loc6
        SYS SYS_close, loc7
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp udp

// rights(): SCM_RIGHTS of a pipe's read end; the sender closes its copy and writes into the
// pipe; the receiver reads through the descriptor it got.
        .proc rights
rights:
        alloc loc0 = ar.pfs, 0, 10, 6, 0
        mov loc1 = b0
        ;;
        SYSCALL SYS_pipe                // IA-64: the descriptors in r8 and r9
        mov loc2 = r8                   // read end
        mov loc3 = r9                   // write end
        FAILIF "pipe"
        movl r14 = sv
        ;;
        SYS SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, r14
        SHOW "socketpair for SCM_RIGHTS"
        movl r14 = sv
        ;;
        ld4 loc4 = [r14], 4
        ;;
        ld4 loc5 = [r14]
        // iov = { "F", 1 }; cout = { CMSG_LEN(4) = 20, SOL_SOCKET, SCM_RIGHTS, read end }
        movl r14 = iov
        movl r16 = .LF
        mov r17 = 1
        movl r18 = cout
        mov r19 = 20
        ;;
        st8 [r14] = r16, 8
        st8 [r18] = r19, 8
        ;;
        st8 [r14] = r17
        st4 [r18] = r17, 4              // cmsg_level = SOL_SOCKET
        ;;
        st4 [r18] = r17, 4              // cmsg_type = SCM_RIGHTS
        ;;
        st4 [r18] = loc2
        movl out0 = msg
        movl out1 = iov
        movl out2 = cout
        mov out3 = 24
        ;;
        CALL set_msg
        movl r14 = msg
        ;;
        SYS SYS_sendmsg, loc4, r14, 0
        SHOW "sendmsg SCM_RIGHTS"
        SYS SYS_close, loc2
        movl r14 = .Lthrough
        ;;
        SYS SYS_write, loc3, r14, 16
        SHOW "write into the pipe"
        // riov = { buf, 64 }; the control buffer has room for more than one descriptor
        movl r14 = riov
        movl r16 = buf
        mov r17 = BUFSIZE
        ;;
        st8 [r14] = r16, 8
        ;;
        st8 [r14] = r17
        movl out0 = rmsg
        movl out1 = riov
        movl out2 = cin
        mov out3 = 64
        ;;
        CALL set_msg
        movl loc6 = rmsg
        ;;
        SYS SYS_recvmsg, loc5, loc6, 0
        SHOW "recvmsg"
        adds r14 = 40, loc6
        ;;
        ld8 r14 = [r14]                 // msg_controllen
        ;;
        YESNO "msg_controllen is CMSG_SPACE(sizeof(int))", eq, 24, r14
        movl loc7 = cin
        ;;
        ld8 r14 = [loc7]
        ;;
        YESNO "cmsg_len is CMSG_LEN(sizeof(int))", eq, 20, r14
        movl out0 = .Llevel
        ;;
        CALL print_str
        adds r14 = 8, loc7
        ;;
        ld4 out0 = [r14]
        mov out1 = ' '
        ;;
        CALL print_u64c
        adds r14 = 12, loc7
        ;;
        ld4 out0 = [r14]
        ;;
        CALL print_u64
        adds r14 = 16, loc7
        movl r16 = buf
        ;;
        ld4 loc8 = [r14]                // the passed descriptor
        ;;
        SYS SYS_read, loc8, r16, BUFSIZE
        KEEP loc9
        SHOW "read through the passed descriptor"
        movl r14 = buf
        ;;
        DATA "pipe data", r14, loc9
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp rights
