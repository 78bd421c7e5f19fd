# asyncio: subprocesses with pipes (create_subprocess_exec, communicate, a line protocol with
# a child that stays up) and sockets (start_server with open_connection clients, in parallel).
import asyncio
import sys


async def subprocesses():
    p = await asyncio.create_subprocess_exec("/bin/busybox", "tr", "a-z", "A-Z",
                                             stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate(b"through a pipe\n" * 3)
    print("tr:", out.decode().splitlines(), "status", p.returncode)
    # A child that answers line by line while the parent waits on its pipe.
    p = await asyncio.create_subprocess_exec(sys.executable, "-u", "-c",
                                             "import sys\nfor l in sys.stdin: print(len(l.strip()), flush=True)",
                                             stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    for word in ["a", "bcd", "efghij"]:
        p.stdin.write(word.encode() + b"\n")
        await p.stdin.drain()
        print("child says", (await p.stdout.readline()).decode().strip(), "for", word)
    p.stdin.close()
    print("child status", await p.wait())
    # Several at once, gathered.
    procs = [await asyncio.create_subprocess_exec("/bin/busybox", "expr", str(i), "*", str(i), stdout=asyncio.subprocess.PIPE)
             for i in range(1, 6)]
    outs = await asyncio.gather(*(q.communicate() for q in procs))
    print("squares", [o[0].decode().strip() for o in outs])


async def sockets():
    async def handle(reader, writer):
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=1 << 21)
    port = server.sockets[0].getsockname()[1]

    async def client(n):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 21)
        replies = []
        for i in range(3):
            writer.write(f"client {n} line {i}\n".encode())
            await writer.drain()
            replies.append((await reader.readline()).decode().strip())
        # A large message both ways: 1 MiB through the echo.
        writer.write(b"x" * (1 << 20) + b"\n")
        await writer.drain()
        big = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return replies, len(big)

    results = await asyncio.gather(*(client(n) for n in range(4)))
    for replies, size in results:
        print(replies, size)
    server.close()
    await server.wait_closed()
    print("server closed")


asyncio.run(subprocesses())
asyncio.run(sockets())
