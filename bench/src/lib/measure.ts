import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

/** Runs `fn` once and returns its result with the wall time it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - start };
}

/** Samples this process's resident set size every `everyMs` until stopped; returns the peak in bytes. */
function rssSampler(everyMs = 50): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** CPU time spent between start and stop: by all of this machine's cores (every process, a local database's included), and by this process. */
export interface CpuTime {
  machineMs: number;
  processMs: number;
  cores: number;
}

/** Starts counting CPU time; `stop()` answers what was spent since. */
function cpuCounter(): { stop(): CpuTime } {
  const busy = () => cpus().reduce((ms, cpu) => ms + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq, 0);
  const machineStart = busy();
  const processStart = process.cpuUsage();
  return {
    stop() {
      const own = process.cpuUsage(processStart);
      return { machineMs: busy() - machineStart, processMs: (own.user + own.system) / 1000, cores: cpus().length };
    },
  };
}

/** Runs `fn` once and returns its result with what it cost: wall time, this process's peak RSS, CPU time. */
export async function measured<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number; peakRss: number; cpu: CpuTime }> {
  const rss = rssSampler();
  const cpu = cpuCounter();
  const { result, ms } = await timed(fn);
  const cpuTime = cpu.stop();
  return { result, ms, peakRss: rss.stop(), cpu: cpuTime };
}

/** A numeric command-line flag (`--size=100000`), else the environment variable, else the default. */
export function numberArg(name: string, fallback: number): number {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = flag?.slice(name.length + 3) ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return value;
}

/** Prints a table of rows (objects with the same keys) to stdout. */
export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  const cells = [keys, ...rows.map((r) => keys.map((k) => format(r[k])))];
  const widths = keys.map((_, i) => Math.max(...cells.map((c) => String(c[i]).length)));
  for (const [n, row] of cells.entries()) {
    console.log(row.map((c, i) => String(c).padEnd(widths[i]!)).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

function format(value: string | number | undefined): string {
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2);
  return value ?? '';
}

export const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
