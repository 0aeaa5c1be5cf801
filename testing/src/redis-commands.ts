/**
 * Redis commands run since `mark()`, by name, as INFO commandstats counts them (a script's inner
 * commands included; INFO's own left out): how tests pin what an operation costs. `info` is the
 * client's INFO (`(section) => client.info(section)`), so this package needs no Redis client.
 */
export function redisCommands(info: (section: string) => Promise<string>) {
  const read = async () =>
    new Map(
      [...(await info("commandstats")).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)].map(
        (m) => [m[1] ?? "", Number(m[2])] as const,
      ),
    );
  let before = new Map<string, number>();
  return {
    async mark(): Promise<void> {
      before = await read();
    },
    async since(): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (const [name, calls] of await read())
        if (name !== "info" && calls !== (before.get(name) ?? 0)) out[name] = calls - (before.get(name) ?? 0);
      return out;
    },
  };
}
