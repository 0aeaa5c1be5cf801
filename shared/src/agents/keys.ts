import { createHash, randomBytes } from "node:crypto";

/** Agent keys are recognisable in logs and secret scanners by this prefix. */
export const AGENT_KEY_PREFIX = "flk_agent_";

/** A new agent key: 24 random bytes, so a plain SHA-256 is enough to store it (no guessable input to stretch). */
export const newAgentKey = (): string => `${AGENT_KEY_PREFIX}${randomBytes(24).toString("base64url")}`;

/** What the store keeps instead of the key: its SHA-256, hex. */
export const agentKeyHash = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

/** The key's last characters, shown in lists so an admin can tell keys apart. */
export const agentKeyHint = (key: string): string => `…${key.slice(-4)}`;
