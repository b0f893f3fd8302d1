/**
 * The browser transport on its own, with real Chromium against the fake
 * upstream: the bounded queue and the call timeout, a browser that crashes
 * between or during calls, and the idle close.
 * @module
 */
import assert from "node:assert/strict";
import {
  type BrowserTransport,
  type BrowserTransportOptions,
  createBrowserTransport,
} from "../../src/jimeng/browser_transport.ts";
import { JimengError } from "../../src/jimeng/errors.ts";
import {
  buildRequest,
  type CallSpec,
  createSession,
  defaultDeps,
  type UpstreamContext,
} from "../../src/jimeng/http.ts";
import { DEFAULT_PROTOCOL } from "../../src/jimeng/protocol.ts";
import { createLogger } from "../../src/log.ts";
import { type FakeUpstream, startFakeUpstream } from "../fake_upstream/server.ts";
import { videoGenerateBody } from "../fake_upstream/raw_client.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";

const SID = "c4c4d5d5c4c4d5d5c4c4d5d5c4c4d5d5";
const GENERATE = "/mweb/v1/aigc_draft/generate";

interface Rig {
  fake: FakeUpstream;
  transport: BrowserTransport;
  lines: string[];
  /** Sends one call of `spec` through the page and parses the JSON answer. */
  send(spec: CallSpec, signal?: AbortSignal): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

async function startRig(options: Partial<BrowserTransportOptions> = {}): Promise<Rig> {
  const fake = await startFakeUpstream();
  fake.addSession(SID, { credits: 1000 });
  const host = { base: fake.url, commerce: fake.url, imagex: fake.url };
  const hosts = { cn: host, us: host, asia: host };
  const lines: string[] = [];
  const transport = createBrowserTransport({
    chromiumPath: CHROMIUM_PATH,
    searchPath: "",
    pageUrls: {
      jimeng: `${fake.url}/ai-tool/video/generate`,
      dreamina: `${fake.url}/ai-tool/home`,
    },
    args: [],
    idleCloseMs: 60_000,
    hosts,
    protocol: DEFAULT_PROTOCOL,
    log: createLogger({ level: "debug", write: (line) => lines.push(line) }),
    ...options,
  });
  const ctx: UpstreamContext = {
    settings: { hosts, protocol: DEFAULT_PROTOCOL, timeoutMs: 5000 },
    deps: defaultDeps(),
  };
  const session = createSession(SID);
  return {
    fake,
    transport,
    lines,
    async send(spec, signal) {
      const response = await transport.send(
        session,
        () => buildRequest(ctx, session, spec),
        signal,
      );
      assert.equal(response.status, 200);
      return await response.json();
    },
    async close() {
      await transport.close();
      await fake.close();
    },
  };
}

/** A Seedance 2.0 Fast submit, which the fake accepts only from the page. */
function seedanceSpec(prompt: string): CallSpec {
  return {
    path: GENERATE,
    body: videoGenerateBody({
      prompt,
      model: "dreamina_seedance_40",
      benefit: "dreamina_seedance_20_fast",
      durationMs: 5000,
    }),
  };
}

/** Resolves once `condition` holds, polling every 20 ms; fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Pids of the Chromium browser processes this test process started. */
function chromiumPids(): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== Deno.pid) continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes("--disable-blink-features=AutomationControlled")) {
        pids.push(Number(entry.name));
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

Deno.test("createBrowserTransport() runs a call in the page: the page's script signs it", async () => {
  const rig = await startRig();
  try {
    const answer = await rig.send(seedanceSpec("signed"));
    assert.equal(answer.ret, "0");
    assert.deepEqual(rig.fake.stats.signedCalls, { [GENERATE]: 1 });
    assert.equal(rig.fake.stats.pageLoads, 1);
    // The page is reused.
    assert.equal((await rig.send(seedanceSpec("signed again"))).ret, "0");
    assert.equal(rig.fake.stats.pageLoads, 1);
    const status = rig.transport.status();
    assert.equal(status.running, true);
    assert.equal(status.pages, 1);
    assert.equal(status.launches, 1);
  } finally {
    await rig.close();
  }
});

Deno.test("createBrowserTransport() bounds each account's queue and times a hung call out", async () => {
  // The hung call outlasts any timeout; the others must be answered within it through a page
  // that a busy machine may slow down, so it is not short.
  const rig = await startRig({ queueLimit: 1, callTimeoutMs: 5000 });
  try {
    await rig.send(seedanceSpec("warm up"));
    rig.fake.knobs.faults = { rate: 1, kinds: ["hang"], pathPattern: /aigc_draft/ };
    const hung = rig.send(seedanceSpec("hangs"));
    await assert.rejects(rig.send(seedanceSpec("no room")), (error: JimengError) => {
      assert.equal(error.kind, "rate_limited");
      assert.match(error.message, /busy: 1 calls of this account are waiting/);
      return true;
    });
    await assert.rejects(hung, (error: JimengError) => {
      assert.equal(error.kind, "timeout");
      assert.match(error.message, /within 5000 ms \(through the site's page\)/);
      return true;
    });
    rig.fake.knobs.faults = { rate: 0, kinds: [] };
    // The page is still good for the next call.
    assert.equal((await rig.send(seedanceSpec("after the timeout"))).ret, "0");
    assert.equal(rig.fake.stats.pageLoads, 1);
  } finally {
    await rig.close();
  }
});

Deno.test("createBrowserTransport() rebuilds a crashed browser, between calls and during one", async () => {
  const rig = await startRig();
  try {
    await rig.send(seedanceSpec("before the crash"));
    for (const pid of chromiumPids()) Deno.kill(pid, "SIGKILL");
    await until(() => !rig.transport.status().running, "the crash to be noticed");
    assert.equal((await rig.send(seedanceSpec("after the crash"))).ret, "0");
    assert.equal(rig.transport.status().launches, 2);

    // During a call: the answer hangs, Chromium dies, the call is sent once more and passes.
    rig.fake.knobs.faults = { rate: 1, kinds: ["hang"], pathPattern: /aigc_draft/ };
    const before = rig.fake.stats.calls[GENERATE];
    const call = rig.send(seedanceSpec("crash during the call"));
    await until(() => rig.fake.stats.calls[GENERATE] === before + 1, "the call to reach the fake");
    rig.fake.knobs.faults = { rate: 0, kinds: [] };
    for (const pid of chromiumPids()) Deno.kill(pid, "SIGKILL");
    assert.equal((await call).ret, "0");
    assert.equal(rig.transport.status().launches, 3);
    assert.ok(rig.lines.some((line) => /crashed; rebuilding it once/.test(line)));
    assert.deepEqual(rig.fake.stats.badSignatures, []);
  } finally {
    await rig.close();
  }
});

Deno.test("createBrowserTransport() closes Chromium after the idle time and starts it again", async () => {
  const rig = await startRig({ idleCloseMs: 300 });
  try {
    await rig.send(seedanceSpec("first"));
    await until(
      () => !rig.transport.status().running && chromiumPids().length === 0,
      "the idle close",
    );
    assert.ok(rig.lines.some((line) => /closing Chromium after 0.3 idle s/.test(line)));
    assert.equal((await rig.send(seedanceSpec("second"))).ret, "0");
    assert.equal(rig.transport.status().launches, 2);
  } finally {
    await rig.close();
  }
  assert.equal(chromiumPids().length, 0);
});

Deno.test("createBrowserTransport() calls only the upstream's own hosts", async () => {
  const rig = await startRig();
  try {
    const session = createSession(SID);
    await assert.rejects(
      rig.transport.send(session, () => ({
        url: "http://127.0.0.1:9/mweb/v1/aigc_draft/generate",
        init: { method: "POST", headers: {}, body: "{}" },
      })),
      /only calls the upstream API hosts, not http:\/\/127\.0\.0\.1:9/,
    );
  } finally {
    await rig.close();
  }
});
