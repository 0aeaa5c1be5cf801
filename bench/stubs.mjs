// Stand-ins for Meta and OpenAI, in their own process: the Graph API simulator and an
// OpenAI-compatible server that answers at once. Records when each reply reaches "Meta".
// Prints {"graph": url, "openai": url} when ready; GET <graph>/__bench/replies/<from> returns
// the log from entry <from> on (only what is new: the bench polls it while replies arrive).
import { startGraphServer } from "../shared/dist/simulator/index.js";
import { startOpenAIServer } from "../shared/dist/testing/openai-server.js";

const replies = [];
const graph = await startGraphServer();
graph.setHandler((req) => {
  const from = /^\/__bench\/replies\/(\d+)$/.exec(req.path)?.[1];
  if (req.method === "GET" && from !== undefined)
    return { kind: "raw", status: 200, body: replies.slice(Number(from)) };
  const body = req.body;
  // A reply is any message POST that is not a read receipt / typing indicator.
  if (req.method === "POST" && body && typeof body === "object" && !("status" in body)) {
    replies.push([String(body.to ?? body.recipient ?? "").replace(/^\+/, ""), Date.now()]);
  }
  return undefined;
});
const openai = await startOpenAIServer(() => ({ content: "Sure, Tuesday at 3 pm works. Anything else?" }));
process.stdout.write(`${JSON.stringify({ graph: graph.url, openai: openai.url })}\n`);
process.on("SIGTERM", async () => {
  await Promise.all([graph.stop(), openai.stop()]);
  process.exit(0);
});
