import type { Embedded } from "./embedded.js";

/** What `npm start` prints once everything answers: where to go, what is simulated, what was generated. */
export function banner(
  e: Pick<Embedded, "url" | "playgroundUrl" | "playgroundOff" | "consoleUrl" | "simulated" | "generated">,
): string {
  const lines = [
    "",
    "Flank is running: gateway, router and responder in one process.",
    "",
    // The link carries this run's token: the playground refuses calls without it.
    `  Playground   ${e.playgroundUrl ?? `off (${e.playgroundOff ?? "not available"})`}`,
    `  Console      ${e.consoleUrl}   (human agents: docs/agents.md)`,
    `  Webhook      ${e.url}/webhook/whatsapp`,
    `  API docs     ${e.url}/docs`,
    `  Health       ${e.url}/readyz`,
    "",
  ];
  lines.push(e.simulated.length > 0 ? "Simulated (everything else is real):" : "Nothing is simulated.");
  for (const part of e.simulated) lines.push(`  - ${part}`);
  const g = e.generated;
  if (g.apiKey || g.appSecret || g.verifyToken || g.agentKey) {
    lines.push("", "Generated for this run only (set them in .env to keep them):");
    if (g.apiKey) lines.push(`  API_KEYS       ${g.apiKey}   (Authorization: Bearer <key>)`);
    if (g.appSecret) {
      lines.push(`  APP_SECRET     ${g.appSecret}   (webhook signatures are checked)`);
      lines.push(
        `  try: APP_SECRET=${g.appSecret} npx flank simulate --to ${e.url} --from 16505551234 --name Ana --text hi`,
      );
    }
    if (g.verifyToken) lines.push(`  VERIFY_TOKEN   ${g.verifyToken}`);
    if (g.agentKey) lines.push(`  agent key      ${g.agentKey}   (sign in to the console as "Local agent")`);
  }
  lines.push("", "Ctrl-C stops.", "");
  return lines.join("\n");
}
