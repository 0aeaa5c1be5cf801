import { Agent, request } from "node:http";

/**
 * An open-loop load at a fixed rate: request i is due at start + i / rate and its latency is
 * counted from when it was due, so a slow server cannot slow the load down and hide its own
 * queueing (coordinated omission).
 *
 * Why not autocannon's rate options: they send each second's whole quota back to back at the
 * start of the second and then pause, so "1,000 req/s" arrives as one burst of 1,000 per second.
 *
 * Latency is counted after a warm-up (`warmupS`, at the same pace): the generator is a fresh
 * process, and its first second (new connections, cold code) held requests above 10 ms, which
 * made the p99 of a 10 s window read 27-106 ms against a server that then answered within 10 ms.
 * Requests, failures and the rate cover the warm-up too.
 *
 * `next(due, timed)` gives each request's body and headers, and is told when it is due (epoch ms)
 * and whether its latency is counted; `answered(i, at)`, if given, when request i was answered
 * (epoch ms). Returns autocannon's result fields the bench reads.
 */
export async function pacedLoad({ url, rate, amount, warmupS = 0, connections, next, answered }) {
  // Idle sockets close after 4 s, before the server's 5 s keep-alive timeout: a socket the agent
  // reused just as the server closed it failed its request (2 of 9,600 in a 300 msg/s phase).
  const agent = new Agent({ keepAlive: true, maxSockets: connections, noDelay: true, timeout: 4000 });
  const target = new URL(url);
  const untimed = Math.min(amount, Math.round(rate * warmupS));
  const latencies = new Float64Array(amount - untimed);
  let timedDone = 0;
  let done = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  const startedAt = performance.now();
  const epochAt = Date.now();
  const interval = 1000 / rate;

  const send = (i) =>
    new Promise((resolve) => {
      const due = startedAt + i * interval;
      const timed = i >= untimed;
      const finish = () => {
        done++;
        answered?.(i, epochAt + (performance.now() - startedAt));
        if (timed) latencies[timedDone++] = performance.now() - due;
        resolve();
      };
      const { body, headers } = next(epochAt + i * interval, timed);
      const req = request(
        target,
        { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.once("end", () => {
            if (res.statusCode < 200 || res.statusCode > 299) non2xx++;
            finish();
          });
        },
      );
      req.setTimeout(10_000, () => {
        timeouts++;
        req.destroy(new Error("timeout"));
      });
      req.once("error", () => {
        errors++;
        finish();
      });
      req.end(body);
    });

  const inFlight = [];
  for (let i = 0; i < amount; ) {
    const now = performance.now();
    // Everything due by now goes out; then sleep until the next one is due (timers have ~1 ms grain).
    while (i < amount && startedAt + i * interval <= now) inFlight.push(send(i++));
    if (i < amount) await new Promise((r) => setTimeout(r, Math.max(0, startedAt + i * interval - now)));
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - startedAt) / 1000;
  agent.destroy();
  const sorted = latencies.slice(0, timedDone).sort();
  const pct = (p) => Math.round(sorted[Math.min(timedDone - 1, Math.floor((p / 100) * timedDone))] ?? 0);
  return {
    requests: done,
    rps: Math.round(done / elapsedS),
    p50: pct(50),
    p99: pct(99),
    non2xx,
    errors,
    timeouts,
    durationS: Number(elapsedS.toFixed(2)),
  };
}
