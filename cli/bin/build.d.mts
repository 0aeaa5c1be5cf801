// Types for build.mjs (plain JavaScript so it runs before anything is compiled).
export function progressLine(line: string): string | undefined;
export function build(opts?: { root?: string; write?: (text: string) => void }): Promise<number>;
export function ensureBuilt(file: string, runBuild?: () => Promise<number>): Promise<number>;
