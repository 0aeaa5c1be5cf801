// What the next step for the responder's CPU would buy (docs/benchmarks.md "Where this stands"):
// node's client CPU per model-like call with 600 calls in flight, over a keep-alive HTTP/1.1 pool
// (a socket and a request per call in flight, as the responder calls the model and the Graph API
// today) and over one HTTP/2 connection. Loopback, a server in another process that answers a
// ~400-byte completion after DELAY_MS. Usage: node bench/http-client.mjs. Not part of
// npm run bench: it informs a design choice.
import { fork } from "node:child_process";
import http from "node:http";
import http2 from "node:http2";

const IN_FLIGHT = 600;
const CALLS = 6000;
const DELAY_MS = 200;
const PATH = "/v1/chat/completions";

if (process.argv[2] === "server") {
  const reply = JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    choices: [
      { index: 0, message: { role: "assistant", content: "Hello! ".repeat(20) }, finish_reason: "stop" },
    ],
    usage: { prompt_tokens: 100, completion_tokens: 40, total_tokens: 140 },
  });
  const answer = (req, res) => {
    req.resume();
    req.on("end", () =>
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(reply);
      }, DELAY_MS),
    );
  };
  const h1 = http.createServer(answer).listen(0, "127.0.0.1", () => {
    const h2 = http2
      .createServer(answer)
      .listen(0, "127.0.0.1", () => process.send({ h1: h1.address().port, h2: h2.address().port }));
  });
} else {
  const server = fork(new URL(import.meta.url).pathname, ["server"]);
  const ports = await new Promise((resolve) => server.once("message", resolve));
  // A prompt of a dozen turns, as the bot sends.
  const body = JSON.stringify({
    model: "gpt-4o-mini",
    messages: Array.from({ length: 12 }, (_, i) => ({
      role: i % 2 ? "assistant" : "user",
      content: "An earlier turn of the conversation, about this long. ".repeat(3),
    })),
  });
  const headers = { "content-type": "application/json", authorization: "Bearer bench" };
  const readJson = (stream, resolve) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      text += chunk;
    });
    stream.on("end", () => resolve(JSON.parse(text)));
  };

  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const http1 = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: ports.h1,
          method: "POST",
          path: PATH,
          agent,
          headers: { ...headers, "content-length": Buffer.byteLength(body) },
        },
        (res) => readJson(res, resolve),
      );
      req.on("error", reject);
      req.end(body);
    });
  const session = http2.connect(`http://127.0.0.1:${ports.h2}`);
  const h2 = () =>
    new Promise((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": PATH, ...headers });
      readJson(req, resolve);
      req.on("error", reject);
      req.end(body);
    });

  const measure = async (name, call) => {
    let started = 0;
    const cpu = process.cpuUsage();
    const worker = async () => {
      while (started++ < CALLS) await call();
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const used = process.cpuUsage(cpu);
    return { name, cpuUsPerCall: Math.round((used.user + used.system) / CALLS) };
  };
  const rounds = [];
  await measure("warm-up", http1);
  await measure("warm-up", h2);
  // Interleaved, so a machine that slows down moves both.
  for (let i = 0; i < 3; i++) rounds.push(await measure("HTTP/1.1 pool", http1), await measure("HTTP/2", h2));
  session.close();
  agent.destroy();
  server.kill();
  const median = (name) => {
    const xs = rounds.filter((r) => r.name === name).map((r) => r.cpuUsPerCall);
    return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  };
  console.log(`client CPU per call, ${IN_FLIGHT} in flight, median of 3 interleaved rounds of ${CALLS}:`);
  for (const name of ["HTTP/1.1 pool", "HTTP/2"])
    console.log(
      `  ${name}: ${median(name)} µs (${rounds
        .filter((r) => r.name === name)
        .map((r) => r.cpuUsPerCall)
        .join(", ")})`,
    );
}
