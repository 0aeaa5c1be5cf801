/**
 * Matches what was sent to what reached "Meta", by the token each message carries and each reply
 * echoes (bench/stubs.mjs). Pure: the benchmark and the chaos suite both judge a run with it.
 *
 * sent: [token, user, sentAt, timed][] in send order; replies: [to, at, tokens[]][] in arrival order.
 * - lost: tokens no reply answered;
 * - duplicates: answers beyond the first for a token (a message answered twice);
 * - outOfOrder: messages answered after a later message of the same user was (per-user order);
 * - latencies: reply time minus send time of each timed message, sorted.
 */
export function matchReplies(sent, replies) {
  const firstAnswer = new Map(); // token -> [reply index, at]
  let duplicates = 0;
  let unknown = 0;
  const known = new Set(sent.map(([token]) => token));
  replies.forEach(([, at, tokens], index) => {
    for (const token of tokens) {
      if (!known.has(token)) unknown++;
      else if (firstAnswer.has(token)) duplicates++;
      else firstAnswer.set(token, [index, at]);
    }
  });
  const byUser = new Map();
  for (const [token, user] of sent) {
    if (!byUser.has(user)) byUser.set(user, []);
    byUser.get(user).push(token);
  }
  let outOfOrder = 0;
  for (const tokens of byUser.values()) {
    // Walking backwards: a message is out of order when a later one was answered by an earlier reply.
    let earliestLater = Number.POSITIVE_INFINITY;
    for (let k = tokens.length - 1; k >= 0; k--) {
      const answer = firstAnswer.get(tokens[k]);
      if (!answer) continue;
      if (earliestLater < answer[0]) outOfOrder++;
      earliestLater = Math.min(earliestLater, answer[0]);
    }
  }
  const latencies = [];
  let lost = 0;
  for (const [token, , sentAt, timed] of sent) {
    const answer = firstAnswer.get(token);
    if (!answer) lost++;
    else if (timed !== false) latencies.push(Math.round(answer[1] - sentAt));
  }
  latencies.sort((a, b) => a - b);
  return { answered: firstAnswer.size, lost, duplicates, unknown, outOfOrder, latencies };
}

/** The p-th percentile of sorted numbers, or null for none. */
export const percentile = (sorted, p) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
