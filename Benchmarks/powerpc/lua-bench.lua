local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end
local t = {}
for i = 1, 200000 do t[i] = tostring(i * 7) end
local s = table.concat(t, ",")
local c = 0
for w in s:gmatch("%d+") do c = c + #w end
table.sort(t)
print(fib(27), c, t[1], t[#t])
