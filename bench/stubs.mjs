// Stand-ins for Meta and OpenAI, in their own process: the Graph API simulator and an
// OpenAI-compatible server, both speaking the real wire format. Prints {"graph": url, "openai": url}
// when ready. Used by the benchmark and the chaos suite.
//
// Every message text carries a token (`#<tag>-<n>`, bench/lib/payload.mjs). The model answers with
// the tokens of the user messages it was asked about (those after the last assistant turn: one, or a
// burst answered together), so each reply reaching "Meta" says exactly which messages it answers.
//
// Control (HTTP, on the Graph server's origin):
//   GET  /__bench/replies/<from>  the reply log from entry <from> on: [to, at, tokens[]]
//   GET  /__bench/model/<from>    model calls from entry <from> on: [at, tokens[]]
//   POST /__bench/model           {fixedMs} or {minMs, maxMs}: the reply model's latency from now on;
//                                 {classifierMs}: the intent classifier's (answers "none"; default 0)
//   GET  /__bench/inflight        model calls in flight: {now, max, mean} since the last reset
//   POST /__bench/inflight        resets the in-flight statistics
//   POST /__bench/faults          {rate, mix: [{code?, status?}]}: a share of sends fails, drawn from mix

import { startOpenAIServer } from "../devtools/dist/openai-server.js";
import { startGraphServer } from "../devtools/dist/simulator/index.js";

const TOKEN = /#[A-Za-z0-9]+-\d+/g;
const tokensIn = (text) => (typeof text === "string" ? (text.match(TOKEN) ?? []) : []);

const replies = [];
const modelCalls = [];
let latency = { fixedMs: 0 };
let classifierMs = 0;
let faults = { rate: 0, mix: [] };
const inflight = { now: 0, max: 0, area: 0, since: Date.now(), last: Date.now() };
const account = (delta) => {
  const t = Date.now();
  inflight.area += inflight.now * (t - inflight.last);
  inflight.last = t;
  inflight.now += delta;
  inflight.max = Math.max(inflight.max, inflight.now);
};

const bodyText = (body) => body?.text?.body ?? body?.interactive?.body?.text ?? body?.template?.name;

const graph = await startGraphServer();
graph.setHandler((req) => {
  const path = req.path;
  if (req.method === "GET" && path.startsWith("/__bench/replies/"))
    return { kind: "raw", status: 200, body: replies.slice(Number(path.slice(17))) };
  if (req.method === "GET" && path.startsWith("/__bench/model/"))
    return { kind: "raw", status: 200, body: modelCalls.slice(Number(path.slice(15))) };
  if (path === "/__bench/model" && req.method === "POST") {
    if (req.body.classifierMs !== undefined) classifierMs = req.body.classifierMs;
    else latency = req.body;
    return { kind: "raw", status: 200, body: { ...latency, classifierMs } };
  }
  if (path === "/__bench/inflight") {
    account(0);
    const span = Math.max(1, inflight.last - inflight.since);
    const stats = { now: inflight.now, max: inflight.max, mean: Number((inflight.area / span).toFixed(1)) };
    if (req.method === "POST") Object.assign(inflight, { max: inflight.now, area: 0, since: Date.now() });
    return { kind: "raw", status: 200, body: stats };
  }
  if (path === "/__bench/faults" && req.method === "POST") {
    faults = req.body;
    return { kind: "raw", status: 200, body: faults };
  }
  const body = req.body;
  // A send is any message POST that is not a read receipt / typing indicator.
  if (req.method !== "POST" || !body || typeof body !== "object" || "status" in body) return undefined;
  if (faults.rate > 0 && Math.random() < faults.rate) {
    const fault = faults.mix[Math.floor(Math.random() * faults.mix.length)] ?? {};
    return fault.code === undefined
      ? { kind: "raw", status: fault.status ?? 502, body: "Bad Gateway" }
      : { kind: "error", code: fault.code };
  }
  replies.push([
    String(body.to ?? body.recipient ?? "").replace(/^\+/, ""),
    Date.now(),
    tokensIn(bodyText(body)),
  ]);
  return undefined;
});

const delay = () =>
  latency.fixedMs !== undefined
    ? latency.fixedMs
    : latency.minMs + Math.random() * (latency.maxMs - latency.minMs);

const openai = await startOpenAIServer(async (req) => {
  // The router's intent classifier (structured output named "intent"): a small, fast model.
  if (req.response_format?.json_schema?.name === "intent") {
    if (classifierMs > 0) await new Promise((r) => setTimeout(r, classifierMs));
    return { content: '{"intent":"none"}' };
  }
  const lastAssistant = req.messages.findLastIndex((m) => m.role === "assistant");
  const asked = req.messages
    .slice(lastAssistant + 1)
    .filter((m) => m.role === "user")
    .flatMap((m) => tokensIn(m.content));
  modelCalls.push([Date.now(), asked]);
  account(1);
  try {
    const ms = delay();
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  } finally {
    account(-1);
  }
  return { content: `Sure, Tuesday at 3 pm works. Anything else? ${asked.join(" ")}` };
});
process.stdout.write(`${JSON.stringify({ graph: graph.url, openai: openai.url })}\n`);
process.on("SIGTERM", async () => {
  await Promise.all([graph.stop(), openai.stop()]);
  process.exit(0);
});
