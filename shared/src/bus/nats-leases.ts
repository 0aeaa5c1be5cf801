import { JSONCodec, type KV, type KvEntry } from "nats";
import { z } from "zod";
import { FlankError } from "../errors.js";
import { natsLeaseKey, natsMembersKey } from "../events/names.js";
import type { LeaseStore } from "./backend.js";

const Lease = z.object({ owner: z.string(), expires: z.number() });
type Lease = z.infer<typeof Lease>;
/** A group's live members: owner → expiry time (ms). */
const Members = z.record(z.string(), z.number());
type Members = z.infer<typeof Members>;

const jc = JSONCodec();
/** JetStream's "wrong last sequence": someone else wrote the key first. */
const CAS_CONFLICT = 10071;
const HEARTBEAT_TRIES = 10;

function parse<T>(schema: z.ZodType<T>, entry: KvEntry | null): T | undefined {
  if (entry?.operation !== "PUT") return undefined;
  try {
    const parsed = schema.safeParse(jc.decode(entry.value));
    return parsed.success ? parsed.data : undefined; // unreadable: treated as absent, then overwritten
  } catch {
    return undefined;
  }
}

const isConflict = (err: unknown): boolean =>
  (err as { api_error?: { err_code?: number } }).api_error?.err_code === CAS_CONFLICT;

/**
 * Leases and group membership in a NATS KV bucket (history 1). Every write is a compare-and-set
 * on the key's revision, so two instances can never both win a lease. Expiry times are written
 * by the instances' clocks: keep hosts NTP-synced (skew well under the claim timeout).
 * Membership is one key per group holding every member's expiry, so counting is one read.
 */
export class NatsLeases implements LeaseStore {
  constructor(private readonly kv: KV) {}

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = natsLeaseKey(name);
    const entry = await this.kv.get(key);
    const lease = parse(Lease, entry);
    if (lease && lease.expires > Date.now()) return false;
    return this.write(key, entry, { owner, expires: Date.now() + ttlMs });
  }

  renew(names: readonly string[], owner: string, ttlMs: number): Promise<boolean[]> {
    return Promise.all(
      names.map(async (name) => {
        const key = natsLeaseKey(name);
        const entry = await this.kv.get(key);
        const lease = parse(Lease, entry);
        // Still ours, or lapsed with nobody taking it: extend (compare-and-set, so never over a taker).
        if (lease && lease.owner !== owner && lease.expires > Date.now()) return false;
        return this.write(key, entry, { owner, expires: Date.now() + ttlMs });
      }),
    );
  }

  async release(name: string, owner: string): Promise<void> {
    const key = natsLeaseKey(name);
    const entry = await this.kv.get(key);
    if (!entry || parse(Lease, entry)?.owner !== owner) return;
    try {
      await this.kv.delete(key, { previousSeq: entry.revision });
    } catch (err) {
      if (!isConflict(err)) throw err; // taken over meanwhile: no longer ours to release
    }
  }

  async heartbeat(group: string, owner: string, ttlMs: number): Promise<number> {
    const count = await this.updateMembers(group, (members, now) => {
      members[owner] = now + ttlMs;
      return true;
    });
    if (count === undefined) {
      throw new FlankError("NatsLeaseConflict", `membership of ${group} kept changing under us`, {
        context: { group },
        retryable: true,
      });
    }
    return count;
  }

  async leave(group: string, owner: string): Promise<void> {
    await this.updateMembers(group, (members) => {
      if (!(owner in members)) return false;
      delete members[owner];
      return true;
    });
  }

  /** Read-modify-CAS of a group's members, dropping expired ones; retried on conflict. */
  private async updateMembers(
    group: string,
    change: (members: Members, now: number) => boolean,
  ): Promise<number | undefined> {
    const key = natsMembersKey(group);
    for (let i = 0; i < HEARTBEAT_TRIES; i++) {
      const entry = await this.kv.get(key);
      const now = Date.now();
      const members: Members = {};
      for (const [m, expires] of Object.entries(parse(Members, entry) ?? {}))
        if (expires > now) members[m] = expires;
      if (!change(members, now)) return Object.keys(members).length;
      if (await this.write(key, entry, members)) return Object.keys(members).length;
    }
    return undefined;
  }

  /** Create (no live value) or update at the read revision; false when another writer won. */
  private async write(key: string, entry: KvEntry | null, value: Lease | Members): Promise<boolean> {
    try {
      if (entry) await this.kv.update(key, jc.encode(value), entry.revision);
      else await this.kv.create(key, jc.encode(value));
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
