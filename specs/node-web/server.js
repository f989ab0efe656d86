const http = require("node:http");

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok\n");
  res.end("hello from node-web\n");
});

server.listen(3000, () => console.log("listening on :3000"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
