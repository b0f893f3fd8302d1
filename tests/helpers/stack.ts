/**
 * Starts the fake upstream and the server against it, in-process, on
 * loopback ports; hands out an `openai` SDK client.
 * @module
 */
import OpenAI from "openai";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { type RunningServer, type ServerOverrides, startServer } from "../../src/server.ts";
import {
  type FakeUpstream,
  type FakeUpstreamOptions,
  startFakeUpstream,
} from "../fake_upstream/server.ts";

/** A sessionid the fake knows, with 100 credits. */
export const GOOD_SESSION = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

/** What a test gets. */
export interface Stack {
  fake: FakeUpstream;
  server: RunningServer;
  url: string;
  /** Every stdout log line the server wrote. */
  logs: string[];
  /** An SDK client authenticated with `GOOD_SESSION` (or the given key). */
  openai(apiKey?: string): OpenAI;
  close(): Promise<void>;
}

/** Options of {@linkcode startStack}. */
export interface StackOptions {
  fake?: FakeUpstreamOptions;
  /** A running fake to use (e.g. across a restart); it stays open when the stack closes. */
  upstream?: FakeUpstream;
  /** Extra environment for the server's configuration. */
  env?: Record<string, string>;
  overrides?: ServerOverrides;
}

/** The environment pointing every upstream host at the fake. */
export function upstreamEnv(fakeUrl: string, dataDir: string): Record<string, string> {
  return {
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "debug",
    JIMENG_BASE_URL: fakeUrl,
    JIMENG_IMAGEX_URL: fakeUrl,
    JIMENG_VOD_URL: fakeUrl,
    DREAMINA_US_BASE_URL: fakeUrl,
    DREAMINA_US_COMMERCE_URL: fakeUrl,
    DREAMINA_US_IMAGEX_URL: fakeUrl,
    DREAMINA_ASIA_BASE_URL: fakeUrl,
    DREAMINA_ASIA_COMMERCE_URL: fakeUrl,
    DREAMINA_ASIA_IMAGEX_URL: fakeUrl,
    // The browser transport's pages are the fake's too (it finds no Chromium unless a test
    // sets CHROMIUM_PATH: the environment given here has no PATH).
    JIMENG_PAGE_URL: `${fakeUrl}/ai-tool/video/generate`,
    DREAMINA_PAGE_URL: `${fakeUrl}/ai-tool/home`,
    // No JIMENG_TIMEOUT_MS: an upstream call gets the product's 30 s. The fake answers in
    // milliseconds, but on a busy machine (Chromium, a sibling server, the test's own work on the
    // same event loop) one call now and then takes seconds, and a short timeout turned that into
    // a failed check or an error the test did not expect. Tests of timeouts set their own.
  };
}

/** Starts a fake upstream with `GOOD_SESSION` and a server in front of it. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const fake = options.upstream ?? await startFakeUpstream(options.fake);
  const ownFake = options.upstream === undefined;
  if (ownFake) fake.addSession(GOOD_SESSION);
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-test-" });
  const logs: string[] = [];
  const config = loadConfig({ ...upstreamEnv(fake.url, dataDir), ...options.env });
  let server: RunningServer;
  try {
    server = await startServer(config, {
      logger: createLogger({ level: config.logLevel, write: (line) => logs.push(line) }),
      backoffMs: 5,
      keepAliveMs: 200,
      ...options.overrides,
    });
  } catch (error) {
    if (ownFake) await fake.close();
    throw error;
  }
  return {
    fake,
    server,
    url: server.url,
    logs,
    openai: (apiKey = GOOD_SESSION) =>
      new OpenAI({ apiKey, baseURL: `${server.url}/v1`, maxRetries: 0, timeout: 30_000 }),
    async close() {
      await server.close(2000);
      if (ownFake) await fake.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
