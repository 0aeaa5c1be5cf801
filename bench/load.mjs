// Load generator, run as its own process: signed webhook POSTs with distinct wamids; autocannon
// as fast as it goes, or paced evenly at a fixed rate.
// Usage: node load.mjs <url> <json options> — prints one JSON result line.
//   options: { connections, duration, rate?, warmupS?, amount?, users, secret, tag?, recordFile? }
//   recordFile gets [token, user, due, timed, answeredAt] per request (timed: false during a paced
//   warm-up; answeredAt: when the gateway answered it, paced loads only);
//   the token (`#<tag>-<n>`) is in the message text, and the stand-in model echoes it in its reply.
import { writeFileSync } from "node:fs";
import autocannon from "autocannon";
import { pacedLoad } from "./lib/paced.mjs";
import { MESSAGE_TEXT, nextWamid, sign, webhookBody } from "./lib/payload.mjs";

const [url, raw] = process.argv.slice(2);
const opts = JSON.parse(raw ?? "{}");
const users = opts.users ?? 1000;
const sent = opts.recordFile ? [] : undefined;
let n = 0;

const tag = opts.tag ?? "m";
const request = (due, timed = true) => {
  const i = n++;
  const user = String(16500000000 + (i % users));
  const token = `#${tag}-${i}`;
  const body = webhookBody(nextWamid(), user, `${MESSAGE_TEXT} ${token}`);
  sent?.push([token, user, due, timed]);
  return {
    body,
    headers: { "content-type": "application/json", "x-hub-signature-256": sign(body, opts.secret) },
  };
};

const report = (result) => {
  if (sent) writeFileSync(opts.recordFile, JSON.stringify(sent));
  process.stdout.write(`${JSON.stringify(result)}\n`);
};

if (opts.rate) {
  // A fixed rate: paced evenly, latency from when each request was due (lib/paced.mjs).
  report(
    await pacedLoad({
      url,
      rate: opts.rate,
      amount: opts.amount ?? Math.round(opts.rate * ((opts.warmupS ?? 0) + (opts.duration ?? 10))),
      warmupS: opts.warmupS,
      connections: opts.connections ?? 100,
      next: request,
      answered: (i, at) => {
        if (sent?.[i]) sent[i][4] = Math.round(at);
      },
    }),
  );
} else {
  // As fast as it goes: autocannon, closed loop on `connections` keep-alive connections.
  const instance = autocannon({
    url,
    method: "POST",
    connections: opts.connections ?? 100,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? 10 }),
    timeout: 10,
    requests: [{ setupRequest: (req) => ({ ...req, ...request(Date.now()) }) }],
  });
  instance.on("done", (result) =>
    report({
      requests: result.requests.total,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      durationS: result.duration,
    }),
  );
}
