import assert from "node:assert/strict";
import {
  browserIdentity,
  chromiumArgs,
  findChromium,
  isExecutableFile,
  regionLocale,
} from "../../src/jimeng/chromium.ts";
import { siteKey } from "../../src/jimeng/browser_transport.ts";
import { DEFAULT_PROTOCOL } from "../../src/jimeng/protocol.ts";
import { loadConfig } from "../../src/config.ts";

Deno.test("findChromium() takes CHROMIUM_PATH, else the first known name on PATH", () => {
  const present = new Set(["/opt/b/google-chrome", "/opt/a/chromium-browser", "/usr/bin/chromium"]);
  const exists = (path: string) => present.has(path);
  assert.deepEqual(findChromium(null, "/opt/a:/opt/b", exists), {
    path: "/opt/a/chromium-browser",
  });
  assert.deepEqual(findChromium(null, "/opt/b:/usr/bin", exists), { path: "/usr/bin/chromium" });
  assert.deepEqual(findChromium(null, "/opt/b/", exists), { path: "/opt/b/google-chrome" });
  assert.deepEqual(findChromium("/usr/bin/chromium", "", exists), { path: "/usr/bin/chromium" });
  assert.match(findChromium("/nope", "/usr/bin", exists).problem!, /CHROMIUM_PATH "\/nope" is not/);
  assert.match(
    findChromium(null, "", exists).problem!,
    /no chromium, chromium-browser, google-chrome/,
  );
});

Deno.test("isExecutableFile() wants an executable regular file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/plain`, "x");
    await Deno.writeTextFile(`${dir}/tool`, "#!/bin/sh\n", { mode: 0o755 });
    assert.equal(isExecutableFile(`${dir}/plain`), false);
    assert.equal(isExecutableFile(`${dir}/tool`), true);
    assert.equal(isExecutableFile(dir), false);
    assert.equal(isExecutableFile(`${dir}/missing`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chromiumArgs() hides automation, keeps Chromium off the network, and BROWSER_ARGS come last", () => {
  const args = chromiumArgs(["--proxy-server=http://127.0.0.1:3128"]);
  assert.equal(args[0], "--disable-blink-features=AutomationControlled");
  for (
    const flag of [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ]
  ) {
    assert.ok(args.includes(flag), flag);
  }
  assert.equal(args.at(-1), "--proxy-server=http://127.0.0.1:3128");
  const config = loadConfig({ BROWSER_ARGS: " --lang=zh-CN   --window-size=1440,900 " });
  assert.deepEqual(config.browser.args, ["--lang=zh-CN", "--window-size=1440,900"]);
});

Deno.test("browserIdentity() makes the user agent, platform and client hints agree", () => {
  const identity = browserIdentity(DEFAULT_PROTOCOL);
  assert.equal(identity.userAgent, DEFAULT_PROTOCOL.userAgent);
  assert.equal(identity.platform, "Win32");
  assert.equal(identity.metadata.platform, "Windows");
  assert.deepEqual(identity.metadata.brands.map((b) => b.brand), [
    "Google Chrome",
    "Chromium",
    "Not_A Brand",
  ]);
  assert.equal(identity.metadata.fullVersion, "142.0.0.0");
  assert.equal(identity.metadata.fullVersionList[0].version, "142.0.0.0");
  const mac = browserIdentity({
    userAgent:
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
    secChUa: '"Chromium";v="140", "Google Chrome";v="140"',
  });
  assert.deepEqual([mac.platform, mac.metadata.platform], ["MacIntel", "macOS"]);
});

Deno.test("regionLocale() gives each site's locale and time zone", () => {
  assert.deepEqual(regionLocale("cn"), { locale: "zh-CN", timeZone: "Asia/Shanghai" });
  assert.deepEqual(regionLocale("us"), { locale: "en-US", timeZone: "America/Los_Angeles" });
  assert.equal(regionLocale("jp").timeZone, "Asia/Tokyo");
});

Deno.test("siteKey() compares registrable domains; addresses are their own origin", () => {
  const key = (url: string) => siteKey(new URL(url));
  assert.equal(key("https://jimeng.jianying.com/ai-tool"), "https://jianying.com");
  assert.equal(key("https://lf3-cdn.jianying.com/x.js"), "https://jianying.com");
  assert.equal(key("https://dreamina-api.us.capcut.com/mweb"), "https://capcut.com");
  assert.equal(key("https://a.example.com.cn/"), "https://example.com.cn");
  assert.notEqual(key("http://jianying.com/"), key("https://jianying.com/"));
  assert.equal(key("http://127.0.0.1:8000/x"), "http://127.0.0.1:8000");
  assert.notEqual(key("http://127.0.0.1:8000/"), key("http://127.0.0.1:9000/"));
  assert.equal(key("http://localhost:3000/"), "http://localhost:3000");
});

Deno.test("loadConfig() reads the browser transport's settings", () => {
  const defaults = loadConfig({ PATH: "/usr/bin:/bin" }).browser;
  assert.deepEqual(defaults, {
    chromiumPath: null,
    searchPath: "/usr/bin:/bin",
    jimengPageUrl: "https://jimeng.jianying.com/ai-tool/video/generate",
    dreaminaPageUrl: "https://dreamina.capcut.com/ai-tool/home",
    args: [],
    idleCloseS: 300,
    routeTtlDays: 7,
  });
  assert.throws(() => loadConfig({ JIMENG_PAGE_URL: "file:///etc/passwd" }), /JIMENG_PAGE_URL/);
  assert.throws(() => loadConfig({ BROWSER_IDLE_CLOSE_S: "0" }), /BROWSER_IDLE_CLOSE_S/);
  assert.equal(loadConfig({ BROWSER_ROUTE_TTL_DAYS: "0.5" }).browser.routeTtlDays, 0.5);
});
