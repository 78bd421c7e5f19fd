local t = {}
for i = 1, 200 do t[i] = (i * 7919) % 1009 end
table.sort(t)
print("sorted", t[1], t[100], t[200], #t)
local s = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do s[#s + 1] = w:upper() end
print(table.concat(s, "-"))
print(string.format("%5.2f %g %e %x %q", math.pi, 1e300 * 10, 2 ^ -1074, 255, "a\nb"))
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(24))
local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
print("co", co(1), co(10))
print("pcall", pcall(function() error({code = 42}) end))
print(select("#", pcall(error)))
local ok, err = pcall(function() return nil + 1 end)
print("err", ok, (err:gsub("^.-:%d+: ", "")))
print("int", math.maxinteger, math.mininteger, 7 // 2, -7 // 2, 7 % -3, 2^53 + 1, 1 / 0, -1 / 0)
print("str", ("x"):rep(5, ","), ("hello"):byte(1, -1))
print("utf8", utf8.char(72, 228, 8364, 128512), utf8.len("häll€"))
local big = {}
for i = 1, 100000 do big[i] = tostring(i) end
print("gc", collectgarbage("count") > 0, #big)
io.write("io.write ok\n")
local f = io.open("/tmp/lua-test.txt", "w"); f:write("line1\nline2\n"); f:close()
for l in io.lines("/tmp/lua-test.txt") do io.write("[", l, "]") end print()
os.remove("/tmp/lua-test.txt")
print("os", type(os.time()), os.getenv("HOME") ~= nil, os.date("!%Y", 0))
print(string.pack(">i4", 1):byte(1, -1))
print(("%.14g"):format(0.1 + 0.2), math.sqrt(2), math.floor(-3.5), math.fmod(7, 3), math.tointeger(3.0))
