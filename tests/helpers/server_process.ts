/**
 * The server as a child process (`deno run main.ts`, or any entry file), for
 * tests that signal or kill it, restart it on the same `DATA_DIR`, or run the
 * bundle, and for the benchmark, which reads its CPU time and memory from
 * `/proc/<pid>`.
 * @module
 */
import { upstreamEnv } from "./stack.ts";

const ROOT = new URL("../..", import.meta.url);

/** The permissions of `deno task start` (`tests/unit/dockerfile_test.ts` keeps them equal). */
export const START_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
];

/** A running server process. */
export interface ServerProcess {
  pid: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Spawn → first answered `GET /ping`, ms. */
  startMs: number;
  /** The lines the server wrote so far (stdout and stderr; the last `keepLines`). */
  lines(): string[];
  /** How many lines it wrote in all. */
  lineCount(): number;
  /** Whether it is still running. */
  running(): boolean;
  /** Resolves with the first line (old or new) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal. */
  kill(signal: Deno.Signal): void;
  /** Resolves with the exit status once the process ended and its output is drained. */
  exited(): Promise<Deno.CommandStatus>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** Options of {@linkcode spawnServer}. */
export interface SpawnOptions {
  /** The server's environment (PORT is chosen here). */
  env: Record<string, string>;
  /** What to run. @default main.ts from the repository */
  entry?: string;
  /** Working directory. @default the repository */
  cwd?: string | URL;
  /** Permission flags. @default {@linkcode START_PERMISSIONS} */
  permissions?: string[];
  readyTimeoutMs?: number;
  /** Keep only the last this many lines (a long run's memory). @default Infinity */
  keepLines?: number;
}

/** A loopback port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The environment of a server in front of a fake upstream at `fakeUrl`. */
export function processEnv(
  fakeUrl: string,
  dataDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...upstreamEnv(fakeUrl, dataDir), LOG_LEVEL: "info", ...extra };
}

/**
 * Starts the server and waits until it answers `/ping`.
 *
 * @throws {Error} with the server's output when it exits or stays silent
 */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...options.env, PORT: String(port), HOST: "127.0.0.1", NO_COLOR: "1" };
  const entry = options.entry ?? "main.ts";
  const keepLines = options.keepLines ?? Infinity;
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--frozen", ...(options.permissions ?? START_PERMISSIONS), entry],
    cwd: options.cwd ?? ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let lineCount = 0;
  const keep = (line: string) => {
    lineCount++;
    lines.push(line);
    if (lines.length > keepLines) lines.shift();
  };
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        keep(line);
        for (const waiter of [...waiters]) {
          if (waiter.pattern.test(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    }
    if (rest) keep(rest);
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let status: Deno.CommandStatus | undefined;
  const ended = child.status.then(async (s) => {
    status = s;
    await drained;
    return s;
  });

  const deadline = started + (options.readyTimeoutMs ?? 30_000);
  let startMs: number | undefined;
  while (status === undefined && performance.now() < deadline) {
    try {
      const response = await fetch(`${url}/ping`);
      if ((await response.text()) === "pong") {
        startMs = performance.now() - started;
        break;
      }
    } catch {
      // Not listening yet.
    }
    // Short, so that the benchmark's start-up figure is not the polling step.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const stop = async (graceMs = 10_000) => {
    if (status === undefined) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => status === undefined && child.kill("SIGKILL"), graceMs);
      await ended;
      clearTimeout(timer);
    }
    return await ended;
  };
  if (startMs === undefined) {
    await stop(1000);
    throw new Error(`The server at ${url} never answered /ping:\n${lines.slice(-30).join("\n")}`);
  }
  return {
    pid: child.pid,
    url,
    startMs,
    lines: () => [...lines],
    lineCount: () => lineCount,
    running: () => status === undefined,
    waitForLine(pattern, timeoutMs = 30_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`No line matched ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        waiters.push(waiter);
      });
    },
    kill: (signal) => child.kill(signal),
    exited: () => ended,
    stop,
  };
}
