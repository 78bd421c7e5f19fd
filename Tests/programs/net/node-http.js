// node: an http server and a client in one process (run with `node -e "$(cat node-http.js)"`):
// a GET, a POST echoed back, 20 requests in parallel over a keep-alive agent, a 1 MiB body.
const http = require("http");
const crypto = require("crypto");
const big = Buffer.alloc(1 << 20, "z");
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    if (req.url === "/big") { res.end(big); return; }
    res.setHeader("Content-Type", "text/plain");
    res.end(`${req.method} ${req.url} ${body.length} ${body.toString().slice(0, 20)}\n`);
  });
});
function request(path, method = "GET", body = null, agent = undefined) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: server.address().port, path, method, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}
server.listen(0, "127.0.0.1", async () => {
  let r = await request("/hello");
  process.stdout.write(`${r.status} ${r.body}`);
  r = await request("/echo", "POST", "posted by the client");
  process.stdout.write(`${r.status} ${r.body}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const all = await Promise.all([...Array(20).keys()].map((i) => request(`/n${i}`, "GET", null, agent)));
  console.log("parallel:", all.filter((x) => x.status === 200).length, "of 20 ok,", all.map((x) => x.body.toString().trim().split(" ")[1]).join(","));
  agent.destroy();
  r = await request("/big");
  console.log("big:", r.body.length, crypto.createHash("md5").update(r.body).digest("hex"));
  server.close(() => console.log("server closed"));
});
