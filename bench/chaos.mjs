// npm run chaos: Flank under the faults it meets in production, bounded (about 2 minutes), loopback
// only. Not part of npm test. Options: --json (the whole result as JSON).
//
// 1 gateway, 2 routers and 2 responders as separate processes on a Redis with AOF; a Graph API
// stand-in that fails 10 % of sends (130429, 131000, HTTP 503); a model that takes 100-400 ms;
// 100 users sending 3,000 messages, each user one after another as a person would, with 5 % of
// them delivered twice (Meta redelivers). Mid-run: kill -9 of a router and of a responder, each
// started again a few seconds later, then kill -9 of Redis and a restart on its AOF.
//
// One summary line: lost, duplicate replies, replies out of per-user order, and the longest reply
// gap after a kill: for every user with a message waiting at the kill or sent in the 5 s after it,
// how long from the kill (or that message, if later) until replies to them resumed. Targets: 0, 0,
// 0, <= 5 s. Exit 1 when missed.
import { startRedisServer } from "../testing/dist/servers.js";
import { matchReplies } from "./lib/match.mjs";
import { nextWamid, sign, webhookBody } from "./lib/payload.mjs";
import { startStack } from "./lib/stack.mjs";

const args = new Set(process.argv.slice(2));
const USERS = 100;
const MESSAGES = 3000;
const REDELIVER = 0.05;
/** Each user waits this long between their messages (uniform), so the run lasts about a minute. */
const GAP_MS = [1000, 3000];
const GAP_TARGET_MS = 5000;

const say = (msg) => process.stderr.write(`[chaos ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const between = ([lo, hi]) => lo + Math.random() * (hi - lo);
let t0 = Date.now();

const redis = await startRedisServer({ appendonly: true });
const stack = await startStack({
  redisUrl: redis.url,
  routers: 2,
  responders: 2,
  env: {
    // Short retries: the subject is kills and faults, not Meta's backoff schedule.
    SEND_RETRY_BASE_MS: "200",
    SEND_MAX_ATTEMPTS: "8",
  },
});
await stack.control("/__bench/model", { minMs: 100, maxMs: 400 });
await stack.control("/__bench/faults", {
  rate: 0.1,
  mix: [{ code: 130429 }, { code: 131000 }, { status: 503 }],
});
t0 = Date.now();
say(
  `stack up: gateway, ${[...stack.procs.keys()].filter((n) => n !== "gateway").join(", ")}; Redis ${redis.url}`,
);

/** POSTs a webhook until the gateway takes it, as Meta does (here after 250 ms, not minutes). */
async function deliver(body) {
  for (;;) {
    try {
      const res = await fetch(stack.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-hub-signature-256": sign(body) },
        body,
      });
      if (res.ok) return;
    } catch {
      // The gateway is unreachable for a moment: retry.
    }
    await sleep(250);
  }
}

const sent = [];
const redeliveries = [];
async function user(u) {
  const id = String(16500000000 + u);
  for (let k = 0; k < MESSAGES / USERS; k++) {
    const token = `#c-${u * 1000 + k}`;
    const body = webhookBody(nextWamid("chaos"), id, `message ${k} ${token}`);
    sent.push([token, id, Date.now(), true]);
    await deliver(body);
    if (Math.random() < REDELIVER) redeliveries.push(sleep(between([500, 5000])).then(() => deliver(body)));
    await sleep(between(GAP_MS));
  }
}

const kills = [];
async function chaos() {
  const kill = async (name, at, downMs, stop, start) => {
    await sleep(Math.max(0, t0 + at - Date.now()));
    const time = Date.now();
    await stop();
    kills.push({ name, at: time });
    say(`kill -9 ${name}`);
    await sleep(downMs);
    await start();
    say(`${name} started again`);
  };
  await kill(
    "router1",
    12_000,
    4000,
    () => stack.kill("router1"),
    () => stack.restart("router1"),
  );
  await kill(
    "responder1",
    26_000,
    4000,
    () => stack.kill("responder1"),
    () => stack.restart("responder1"),
  );
  await kill(
    "redis",
    40_000,
    1500,
    () => redis.kill(),
    () => redis.restart(),
  );
}

const load = Promise.all(Array.from({ length: USERS }, (_, u) => user(u)));
await Promise.all([load, chaos()]);
await Promise.all(redeliveries);
say(`${sent.length} messages sent (${redeliveries.length} delivered twice); waiting for the replies`);

const expected = new Set(sent.map(([token]) => token));
const deadline = Date.now() + 120_000;
let replies = [];
let quietSince = Date.now();
for (;;) {
  const now = await stack.replies();
  if (now.length !== replies.length) quietSince = Date.now();
  replies = [...now];
  const answered = new Set(replies.flatMap(([, , tokens]) => tokens));
  if ([...expected].every((t) => answered.has(t)) && Date.now() - quietSince > 5000) break;
  if (Date.now() > deadline) break;
  await sleep(500);
}

const result = matchReplies(sent, replies);
const answeredAt = new Map();
for (const [, at, tokens] of replies) for (const t of tokens) if (!answeredAt.has(t)) answeredAt.set(t, at);
const gaps = kills.map(({ name, at }) => {
  const waiting = new Map(); // user -> [earliest waiting message's time, first reply after the kill]
  for (const [token, user, sentAt] of sent) {
    const answer = answeredAt.get(token);
    if (answer === undefined || answer < at || sentAt > at + 5000) continue;
    const [since, first] = waiting.get(user) ?? [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
    waiting.set(user, [Math.min(since, Math.max(sentAt, at)), Math.min(first, answer)]);
  }
  // The users who waited longest, with when (ms after the kill) they began waiting and got a reply.
  const worst = [...waiting]
    .map(([user, [since, first]]) => ({ user, since: since - at, reply: first - at, gapMs: first - since }))
    .sort((a, b) => b.gapMs - a.gapMs)
    .slice(0, 3)
    .map((w) =>
      Object.fromEntries(Object.entries(w).map(([k, v]) => [k, typeof v === "number" ? Math.round(v) : v])),
    );
  return { name, longestMs: worst[0]?.gapMs ?? 0, worst };
});
const longest = Math.max(0, ...gaps.map((g) => g.longestMs));
const problems = Object.fromEntries([...stack.procs].map(([name, p]) => [name, p.problems()]));
await stack.stop();
await redis.stop();

const ok =
  result.lost === 0 && result.duplicates === 0 && result.outOfOrder === 0 && longest <= GAP_TARGET_MS;
if (args.has("--json"))
  process.stdout.write(`${JSON.stringify({ ...result, latencies: undefined, gaps, problems })}\n`);
process.stdout.write(
  `chaos: ${sent.length} messages, ${redeliveries.length} redelivered; lost ${result.lost}, duplicate replies ${result.duplicates}, out of order ${result.outOfOrder}, longest reply gap after a kill ${(longest / 1000).toFixed(1)} s (${gaps.map((g) => `${g.name} ${(g.longestMs / 1000).toFixed(1)} s`).join(", ")}) ${ok ? "OK" : "FAILED"}\n`,
);
process.exit(ok ? 0 : 1);
