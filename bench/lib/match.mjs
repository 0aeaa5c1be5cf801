/**
 * Matches what was sent to what reached "Meta", by the token each message carries and each reply
 * echoes (bench/stubs.mjs). Pure: the benchmark and the chaos suite both judge a run with it.
 *
 * sent: [token, user, sentAt, timed, answeredAt?][] in send order (answeredAt: when the webhook
 * was acknowledged); replies: [to, at, tokens[]][] in arrival order.
 * - lost: tokens no reply answered;
 * - duplicates: answers beyond the first for a token (a message answered twice);
 * - outOfOrder: messages answered after a later message of the same user was (per-user order).
 *   With answeredAt, only a later message sent after this one's webhook was acknowledged counts:
 *   two webhooks in flight together reach Flank in either order, as Meta's do (an overloaded
 *   run held a few of its connections' requests for seconds in the load generator's own queue);
 * - outOfSendOrder: the same without that condition;
 * - lateWebhooks: webhooks acknowledged more than a second after they were due;
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
  const byToken = new Map(sent.map((s) => [s[0], s]));
  let outOfOrder = 0;
  let outOfSendOrder = 0;
  for (const tokens of byUser.values()) {
    // A message is out of order when a later one, sent once it was acknowledged, was answered first.
    for (let k = 0; k < tokens.length; k++) {
      const answer = firstAnswer.get(tokens[k]);
      if (!answer) continue;
      const acked = byToken.get(tokens[k])[4] ?? Number.NEGATIVE_INFINITY;
      const overtakers = tokens.slice(k + 1).filter((later) => {
        const a = firstAnswer.get(later);
        return a !== undefined && a[0] < answer[0];
      });
      if (overtakers.length > 0) outOfSendOrder++;
      if (overtakers.some((later) => byToken.get(later)[2] >= acked)) outOfOrder++;
    }
  }
  const lateWebhooks = sent.filter(([, , sentAt, , acked]) => acked - sentAt > 1000).length;
  const latencies = [];
  let lost = 0;
  for (const [token, , sentAt, timed] of sent) {
    const answer = firstAnswer.get(token);
    if (!answer) lost++;
    else if (timed !== false) latencies.push(Math.round(answer[1] - sentAt));
  }
  latencies.sort((a, b) => a - b);
  return {
    answered: firstAnswer.size,
    lost,
    duplicates,
    unknown,
    outOfOrder,
    outOfSendOrder,
    lateWebhooks,
    latencies,
  };
}

/** The p-th percentile of sorted numbers, or null for none. */
export const percentile = (sorted, p) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
