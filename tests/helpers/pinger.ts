/**
 * Measures how long a server takes to answer `GET /ping` while something
 * else runs, from a process of its own, so the test's own work (building a
 * 27 MB request body, the fake upstream) does not count as the server's.
 * Run as a program, it pings its argument until stdin closes, then prints
 * the latencies as JSON.
 * @module
 */

/** A running pinger. */
export interface Pinger {
  /** Stops and returns every latency, in ms. */
  stop(): Promise<number[]>;
}

/** Starts pinging `baseUrl/ping` from a child process; resolves once the first answer came. */
export async function startPinger(baseUrl: string): Promise<Pinger> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", import.meta.filename!, `${baseUrl}/ping`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  // The child says "ready" once it has been answered.
  const reader = child.stdout.getReader();
  let buffered = "";
  const decoder = new TextDecoder();
  while (!buffered.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("The pinger ended before it was ready");
    buffered += decoder.decode(value);
  }
  return {
    async stop() {
      await writer.close();
      let rest = buffered.slice(buffered.indexOf("\n") + 1);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += decoder.decode(value);
      }
      reader.releaseLock();
      await child.status;
      return JSON.parse(rest) as number[];
    },
  };
}

if (import.meta.main) {
  const url = Deno.args[0];
  let stopped = false;
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* until closed */ }
    stopped = true;
  })();
  await (await fetch(url)).text();
  console.log("ready");
  const latencies: number[] = [];
  while (!stopped) {
    const started = performance.now();
    await (await fetch(url)).text();
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  console.log(JSON.stringify(latencies));
}
