/**
 * The server under test as a child process (`deno run main.ts`), so its CPU
 * time and memory are its own and can be read from `/proc/<pid>`.
 * @module
 */

const ROOT = new URL("..", import.meta.url);

/** Same permissions as `deno task start`. */
const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
];

/** A running server process. */
export interface ServerProcess {
  pid: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Spawn → first answered `GET /ping`, ms. */
  startMs: number;
  /** The last lines the server wrote (stdout and stderr). */
  output(): string[];
  /** How many lines it wrote in all. */
  lineCount(): number;
  /** Whether the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number>;
}

/** Options of {@linkcode spawnServer}. */
export interface SpawnOptions {
  /** Environment of the server (on top of the bench's own). */
  env: Record<string, string>;
  /** Give up waiting for `/ping` after this long. @default 20000 */
  readyTimeoutMs?: number;
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

interface Output {
  /** The last lines. */
  lines: string[];
  count: number;
}

/** Keeps the last `limit` lines of a stream, draining it so the child never blocks. */
async function collectLines(stream: ReadableStream<Uint8Array>, output: Output, limit: number) {
  const keep = (line: string) => {
    output.count++;
    output.lines.push(line);
    if (output.lines.length > limit) output.lines.shift();
  };
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const line of parts) keep(line);
  }
  if (rest) keep(rest);
}

async function answersPing(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`);
    const text = await response.text();
    return response.ok && text === "pong";
  } catch {
    return false;
  }
}

/**
 * Starts `main.ts` with `env` (PORT and HOST must be set) and waits until it
 * answers `/ping`.
 *
 * @throws {Error} when the process exits or does not answer in time, with its last output
 */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const { env } = options;
  if (!env.PORT || env.PORT === "0" || !env.HOST) {
    throw new TypeError("spawnServer() needs a fixed PORT and a HOST in env");
  }
  const url = `http://${env.HOST}:${env.PORT}`;
  const output: Output = { lines: [], count: 0 };
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--frozen", ...PERMISSIONS, "main.ts"],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const drained = Promise.all([
    collectLines(child.stdout, output, 200),
    collectLines(child.stderr, output, 200),
  ]);
  let exitCode: number | undefined;
  const status = child.status.then((s) => (exitCode = s.code));

  const deadline = started + (options.readyTimeoutMs ?? 20_000);
  let startMs: number | undefined;
  while (exitCode === undefined && performance.now() < deadline) {
    if (await answersPing(url)) {
      startMs = performance.now() - started;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const stop = async (graceMs = 5000): Promise<number> => {
    if (exitCode === undefined) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (exitCode === undefined) child.kill("SIGKILL");
      }, graceMs);
      await status;
      clearTimeout(timer);
    }
    await drained;
    return exitCode!;
  };
  if (startMs === undefined) {
    await stop(1000);
    throw new Error(
      `The server did not answer /ping at ${url} (exit code ${exitCode}); its last output:\n${
        output.lines.slice(-20).join("\n")
      }`,
    );
  }
  return {
    pid: child.pid,
    url,
    startMs,
    output: () => [...output.lines],
    lineCount: () => output.count,
    exited: () => exitCode !== undefined,
    stop,
  };
}
