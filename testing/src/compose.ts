import { readFileSync } from "node:fs";
import { parse } from "yaml";

const COMPOSE = new URL("../../docker-compose.yml", import.meta.url);

/**
 * The node flags docker-compose.yml runs a service with (its heap sizing), so the system tests
 * and `npm run bench` measure a service's memory under the shipped settings.
 */
export function composeNodeFlags(service: string): string[] {
  const compose = parse(readFileSync(COMPOSE, "utf8"), { merge: true }) as {
    services: Record<string, { command?: string[] }>;
  };
  const command = compose.services[service]?.command;
  if (command?.[0] !== "node") throw new Error(`docker-compose.yml: ${service} is not run with node`);
  return command.slice(1, -1);
}
