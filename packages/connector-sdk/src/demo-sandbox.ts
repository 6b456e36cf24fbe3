/**
 * A local stand-in for a connector's channel, which the `demo` workspace syncs from when Portrait runs
 * on its embedded database (`pnpm start`): an HTTP sandbox on a loopback port, or files in the data
 * directory. A plugin that ships one exports `startDemoSandbox` from its `./demo` entry point.
 */
export interface DemoSandbox<Config = unknown> {
  /** The name of the demo source reading from it (unique in the workspace). */
  sourceName: string;
  /** The configuration of that source. */
  config: Config;
  /** Stops the sandbox (servers closed); what it wrote to the data directory stays for the next start. */
  close(): Promise<void>;
}

export interface DemoSandboxOptions {
  /** Portrait's data directory; a sandbox keeps its files under `<dataDir>/demo/`. */
  dataDir: string;
  /** The loopback interface a sandbox server listens on. */
  host: string;
}

export type StartDemoSandbox<Config = unknown> = (options: DemoSandboxOptions) => Promise<DemoSandbox<Config>>;
