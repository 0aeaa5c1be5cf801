import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EnvSchema } from "@flank/shared/config";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "./stack.js";

// No Docker engine runs here: these tests check the files against the code, not a running stack.
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: { path: string; required: boolean }[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  container_name?: string;
}

const compose = parse(readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const schemaVars = new Set(Object.keys(EnvSchema.in.shape));
const FLANK = ["gateway", "router", "responder"] as const;

describe("docker-compose.yml", () => {
  it("has the infrastructure and the three services, each with a healthcheck", () => {
    expect(Object.keys(services).sort()).toEqual([
      "gateway",
      "mongo",
      "nats",
      "redis",
      "responder",
      "router",
    ]);
    for (const [name, s] of Object.entries(services)) expect(s.healthcheck?.test, name).toBeDefined();
  });

  it("passes only variables the config schema knows", () => {
    for (const name of FLANK) {
      const env = services[name]?.environment ?? {};
      expect(
        Object.keys(env).filter((k) => !schemaVars.has(k)),
        name,
      ).toEqual([]);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation syntax
      expect(env).toMatchObject({ BUS: "${FLANK_BUS:-redis}", STORE: "mongo", NODE_ENV: "production" });
      expect(env.REDIS_URL).toBe("redis://redis:6379");
      expect(env.MONGODB_URI).toBe("mongodb://mongo:27017");
      expect(env.NATS_URL).toBe("nats://nats:4222");
      expect(services[name]?.env_file).toEqual([{ path: ".env", required: false }]);
    }
  });

  it("publishes the gateway on the port it listens on, and checks /readyz there", () => {
    const gateway = services.gateway as Service;
    const port = gateway.environment?.PORT;
    expect(port).toBe("3001");
    expect(gateway.ports).toEqual([`\${GATEWAY_PORT:-3001}:${port}`]);
    expect(gateway.healthcheck?.test.join(" ")).toContain(`127.0.0.1:${port}/readyz`);
    expect(gateway.environment?.APP_SECRET).toMatch(/^\$\{APP_SECRET:\?/);
  });

  it("runs each service from the image, workers without ports so --scale works", () => {
    for (const name of FLANK) {
      const s = services[name] as Service;
      expect(s.command?.[0]).toBe("node");
      expect(s.command?.at(-1)).toBe(`${name}/dist/main.js`);
      expect(s.image).toBe("flank:latest");
      expect(s.container_name).toBeUndefined();
    }
    for (const name of ["router", "responder"]) {
      expect(services[name]?.ports, name).toBeUndefined();
      expect(services[name]?.healthcheck?.test).toContain("healthcheck");
    }
  });

  it("sizes every service's heap (the flags the bench and the memory system tests run them with)", () => {
    for (const name of FLANK) {
      const flags = services[name]?.command?.slice(1, -1) ?? [];
      expect(
        flags.some((f) => /^--max-old-space-size=\d+$/.test(f)),
        name,
      ).toBe(true);
      expect(
        flags.some((f) => /^--max-semi-space-size=\d+$/.test(f)),
        name,
      ).toBe(true);
    }
    expect(readFileSync(join(REPO_ROOT, "bench", "lib", "stack.mjs"), "utf8")).toContain("composeNodeFlags");
  });

  it("starts Flank only once its dependencies are healthy", () => {
    for (const name of FLANK) {
      const deps = services[name]?.depends_on ?? {};
      expect(Object.keys(deps).sort(), name).toEqual(["mongo", "nats", "redis"]);
      expect(Object.values(deps).every((d) => d.condition === "service_healthy")).toBe(true);
    }
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");

  it("builds in one stage and runs from a second with what the services need", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    for (const path of ["shared/flows", ...FLANK.map((s) => `${s}/dist`), "cli/dist", "cli/bin"]) {
      expect(dockerfile).toContain(`COPY --from=build /app/${path} `);
    }
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it("copies every workspace's package.json before npm ci (layer cache) and exposes the default PORT", () => {
    const workspaces = (
      JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { workspaces: string[] }
    ).workspaces;
    for (const w of workspaces) expect(dockerfile).toContain(`COPY ${w}/package.json ${w}/`);
    const defaultPort = EnvSchema.parse({}).port;
    expect(dockerfile).toContain(`EXPOSE ${defaultPort}`);
  });
});
