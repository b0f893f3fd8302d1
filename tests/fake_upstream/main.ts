/**
 * Runs the fake upstream by hand:
 *
 * ```sh
 * deno run -A tests/fake_upstream/main.ts --port 9100 [--image-latency-ms 3000] [--video-latency-ms 10000]
 *   [--queue-ms 4000] [--jitter 0.2]
 * ```
 *
 * Point the gateway's upstream hosts at the printed URL and use one of the
 * demo sessions as a token (prefix `us-`/`hk-` for the Dreamina ones).
 * @module
 */
import { parseArgs } from "node:util";
import { type FakeSessionOptions, startFakeUpstream } from "./server.ts";

/** Demo accounts: one per situation a client must handle. */
const DEMO_SESSIONS: Record<string, FakeSessionOptions> = {
  "demo-cn-session-0001": { credits: 1_000_000 },
  "demo-vip-session-0001": { credits: 1_000_000, watermarkFree: true },
  "demo-free-session-0001": { credits: 20, freeTier: true },
  "demo-broke-session-0001": { credits: 0, dailyGift: 66 },
  "demo-expired-session-0001": { expired: true },
  "demo-us-session-0001": { region: "us", credits: 500 },
  "demo-hk-session-0001": { region: "hk", credits: 500 },
};

function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) {
    throw new RangeError(`Option --${name} must be a non-negative number, got "${value}"`);
  }
  return number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "9100" },
      "image-latency-ms": { type: "string" },
      "video-latency-ms": { type: "string" },
      "queue-ms": { type: "string" },
      jitter: { type: "string" },
    },
  });
  const fake = await startFakeUpstream({
    port: numberOption(values.port, "port", 9100),
    imageLatencyMs: numberOption(values["image-latency-ms"], "image-latency-ms", 3000),
    videoLatencyMs: numberOption(values["video-latency-ms"], "video-latency-ms", 10000),
    queueMs: numberOption(values["queue-ms"], "queue-ms", 0),
  });
  fake.knobs.jitter = numberOption(values.jitter, "jitter", 0);
  for (const [id, options] of Object.entries(DEMO_SESSIONS)) fake.addSession(id, options);
  console.log(`Fake Jimeng upstream listening on ${fake.url}`);
  console.log(
    `  site pages (browser transport): JIMENG_PAGE_URL=${fake.url}/ai-tool/video/generate DREAMINA_PAGE_URL=${fake.url}/ai-tool/home`,
  );
  console.log(
    `  image latency ${fake.knobs.imageLatencyMs} ms, video latency ${fake.knobs.videoLatencyMs} ms, queue ${fake.knobs.queueMs} ms, jitter ${fake.knobs.jitter}`,
  );
  for (const [id, options] of Object.entries(DEMO_SESSIONS)) {
    const token = options.region && options.region !== "cn" ? `${options.region}-${id}` : id;
    console.log(`  session ${token.padEnd(18)} ${JSON.stringify(options)}`);
  }
  const stop = () => {
    fake.close().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) await main();
