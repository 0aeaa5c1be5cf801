import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { captureLog, type GraphTestServer, startGraphServer } from "@flank/devtools";
import { type Bus, createBus } from "@flank/shared/bus";
import { parseConfig } from "@flank/shared/config";
import type { EventOf } from "@flank/shared/contract";
import { mediaRequestOf } from "@flank/shared/media";
import {
  composeNodeFlags,
  hasBinary,
  spawnNode,
  startRedisServer,
  type TestServer,
  waitFor,
} from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const RESPONDER_DIR = fileURLToPath(new URL("..", import.meta.url));
const PNID = "1065550099";
const TOKEN = "media-memory-token";
const MB = 1024 * 1024;
const FILES = 6;

// The responder as docker-compose.yml runs it (same heap flags), as its own process on a Redis bus,
// so its resident memory can be read while 16 MB files flow through its media worker.
describe.skipIf(!hasBinary("redis-server"))("the responder's resident memory while media flows", () => {
  let redis: TestServer;
  let sim: GraphTestServer;
  let bus: Bus;
  let dir: string;
  beforeAll(async () => {
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: RESPONDER_DIR, stdio: "pipe" });
    redis = await startRedisServer();
    sim = await startGraphServer({ token: TOKEN });
    dir = await mkdtemp(join(tmpdir(), "flank-media-rss-"));
    const config = parseConfig({
      BUS: "redis",
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      LOG_LEVEL: "silent",
    });
    bus = await createBus(config, captureLog("error").log);
  }, 120_000);
  afterAll(async () => {
    await bus?.close();
    await sim?.stop();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`stores ${FILES} parallel 16 MB downloads and stays within 150 MB resident`, async () => {
    for (let i = 0; i < FILES; i++)
      sim.addMedia(`m-${i}`, { bytes: Buffer.alloc(16 * MB, i), mime_type: "video/mp4" });
    const stored: EventOf<"media.stored">[] = [];
    await bus.consume({
      topic: "media.stored",
      group: "rss-test",
      handler: async (e) => void (e.type === "media.stored" && stored.push(e)),
    });
    const responder = spawnNode(
      join(RESPONDER_DIR, "dist/main.js"),
      {
        NODE_ENV: "test",
        LOG_LEVEL: "error",
        BUS: "redis",
        REDIS_URL: `redis://127.0.0.1:${redis.port}`,
        GRAPH_API_BASE: sim.base,
        PHONE_NUMBER_ID: PNID,
        WHATSAPP_TOKEN: TOKEN,
        MEDIA_DIR: dir,
      },
      composeNodeFlags("responder"),
    );
    try {
      // What the router asks of the media step for a media message (router-worker.ts).
      await bus.publish(
        Array.from({ length: FILES }, (_, i) =>
          mediaRequestOf(PNID, `${PNID}:1555000${i}`, {
            wamid: `wamid.rss.${i}`,
            phoneNumberId: PNID,
            from: `1555000${i}`,
            timestamp: new Date().toISOString(),
            type: "video",
            media: { id: `m-${i}`, mimeType: "video/mp4" },
            raw: {},
          }),
        ).filter((e) => e !== undefined),
      );
      await waitFor(() => stored.length === FILES || responder.child.exitCode !== null, {
        timeoutMs: 60_000,
        what: "every file stored",
      });
      expect(responder.output()).toBe("");
      expect(stored.map((e) => e.data.size)).toEqual(Array(FILES).fill(16 * MB));
      expect(responder.peakRssMb()).toBeLessThanOrEqual(150);
    } finally {
      responder.kill();
      await responder.exited;
    }
  }, 90_000);
});
