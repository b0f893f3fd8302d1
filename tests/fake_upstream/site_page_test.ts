/**
 * The fake's site page and security script, driven with playwright-core
 * directly (not through the project's transport): it signs calls only in a
 * real browser page that does not show automation, and a signature is bound
 * to its request and its account's page.
 * @module
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { computeSign } from "../../src/jimeng/sign.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";
import { AID_CN } from "./models.ts";
import { callWeb, videoGenerateBody } from "./raw_client.ts";
import { type FakeUpstream, startFakeUpstream } from "./server.ts";

const GENERATE = "/mweb/v1/aigc_draft/generate";
const ALICE = "a11ce0000a11ce0000a11ce0000a11ce";
const BOB = "b0b00000b0b00000b0b00000b0b00000";
const DESKTOP_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
];

/** Runs in the page: `navigator.webdriver`. */
const webdriver = () => (navigator as Navigator & { webdriver?: boolean }).webdriver;

function seedanceBody(prompt: string) {
  return videoGenerateBody({
    prompt,
    model: "dreamina_seedance_40",
    benefit: "dreamina_seedance_20_fast",
    durationMs: 5000,
  });
}

/** URL and headers of a CN submit as the web app sends them (cookies come from the browser). */
function submit(fake: FakeUpstream) {
  const deviceTime = Math.floor(Date.now() / 1000);
  const query = new URLSearchParams({ aid: String(AID_CN), device_platform: "web", region: "CN" });
  return {
    url: `${fake.url}${GENERATE}?${query}`,
    headers: {
      "Content-Type": "application/json",
      "Appid": String(AID_CN),
      "Appvr": "5.8.0",
      "Pf": "7",
      "Device-Time": String(deviceTime),
      "Sign": computeSign({ path: GENERATE, platform: "7", appVersion: "5.8.0", deviceTime }),
      "Sign-Ver": "1",
    },
  };
}

/** Opens the site page as `sessionId` and waits for its script; `userAgent` overrides Chromium's. */
async function openSitePage(
  browser: Browser,
  fake: FakeUpstream,
  sessionId: string,
  userAgent?: string,
): Promise<Page> {
  const context = await browser.newContext(userAgent ? { userAgent } : {});
  await context.addCookies([{ name: "sessionid", value: sessionId, url: `${fake.url}/` }]);
  const page = await context.newPage();
  await page.goto(`${fake.url}/ai-tool/video/generate`);
  await page.waitForFunction(() =>
    (globalThis as { bdms?: { ready?: boolean } }).bdms?.ready === true
  );
  return page;
}

/** Sends `body` with `fetch()` from the page; returns the answer and the URL that went out. */
async function fetchFromPage(page: Page, fake: FakeUpstream, body: unknown) {
  const { url, headers } = submit(fake);
  const sent = page.waitForRequest((request) => request.url().includes(GENERATE));
  const json = await page.evaluate(async ({ url, headers, body }) => {
    const response = await fetch(url, { method: "POST", headers, body, credentials: "include" });
    return await response.json();
  }, { url, headers, body: JSON.stringify(body) });
  return { json, request: await sent };
}

Deno.test("the site page signs only in a real browser page that does not show automation", async () => {
  const fake = await startFakeUpstream();
  fake.addSession(ALICE, { credits: 1000 });
  fake.addSession(BOB, { credits: 1000 });
  const hidden = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--disable-blink-features=AutomationControlled", ...FLAGS],
  });
  const visible = await chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
  try {
    // Not automated, a desktop user agent: signed, accepted.
    const page = await openSitePage(hidden, fake, ALICE, DESKTOP_UA);
    assert.equal(await page.evaluate(webdriver), false);
    const body = seedanceBody("from the page");
    const signed = await fetchFromPage(page, fake, body);
    assert.equal(signed.json.ret, "0", JSON.stringify(signed.json));
    assert.match(signed.request.url(), /&msToken=[0-9a-f]+&a_bogus=[\w-]+$/);
    assert.deepEqual(fake.stats.signedCalls, { [GENERATE]: 1 });
    assert.equal(fake.session(ALICE).credits < 1000, true);

    // The signature is bound to the request: the same URL with another body is refused.
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const replay = (text: string, cookieHeader = cookie) =>
      fetch(signed.request.url(), {
        method: "POST",
        headers: { ...submit(fake).headers, Cookie: cookieHeader, "User-Agent": DESKTOP_UA },
        body: text,
      }).then((response) => response.json());
    assert.equal((await replay(JSON.stringify(body))).ret, "0");
    const tampered = await replay(JSON.stringify(seedanceBody("changed on the way")));
    assert.equal(tampered.ret, "4013");
    assert.equal(tampered.data.fail_starling_key, "web_risk_control_message_reject_generation");
    assert.match(fake.stats.badSignatures.at(-1)!, /a_bogus does not match the request/);
    // … and to the account whose page made it.
    const stolen = await replay(
      JSON.stringify(body),
      cookie.replace(`sessionid=${ALICE}`, `sessionid=${BOB}`),
    );
    assert.equal(stolen.ret, "4013");
    assert.match(fake.stats.badSignatures.at(-1)!, /another account's page/);

    // Headless Chromium's own user agent gives it away: the script does not sign.
    const headless = await openSitePage(hidden, fake, BOB);
    assert.match(await headless.evaluate(() => navigator.userAgent), /HeadlessChrome/);
    assert.equal((await fetchFromPage(headless, fake, seedanceBody("headless"))).json.ret, "4013");

    // Automation visible (navigator.webdriver): the script does not sign either.
    const automated = await openSitePage(visible, fake, BOB, DESKTOP_UA);
    assert.equal(await automated.evaluate(webdriver), true);
    assert.equal(
      await automated.evaluate(() =>
        (globalThis as { bdms?: { signing?: boolean } }).bdms?.signing
      ),
      false,
    );
    const refused = await fetchFromPage(automated, fake, seedanceBody("automated"));
    assert.equal(refused.json.ret, "4013");
    assert.doesNotMatch(refused.request.url(), /a_bogus/);
    assert.deepEqual(fake.stats.signedCalls, { [GENERATE]: 2 });
    assert.equal(fake.session(BOB).credits, 1000);
  } finally {
    await hidden.close();
    await visible.close();
    await fake.close();
  }
});

Deno.test("a server without the page is refused where risk control applies, and only there", async () => {
  const fake = await startFakeUpstream();
  fake.addSession(ALICE);
  fake.addSession(BOB, { region: "us" });
  try {
    const seedance = await callWeb(fake.url, {
      path: GENERATE,
      sessionId: ALICE,
      body: seedanceBody("direct"),
    });
    assert.equal(seedance.json.ret, "4013");
    const mini = await callWeb(fake.url, {
      path: GENERATE,
      sessionId: ALICE,
      body: videoGenerateBody({ prompt: "mini", model: "dreamina_seedance_40_mini" }),
    });
    assert.notEqual(mini.json.ret, "4013");
    const claim = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/credit_receive",
      sessionId: BOB,
      region: "us",
      body: { time_zone: "Asia/Shanghai" },
    });
    assert.equal(claim.json.ret, "-6");
    assert.equal(claim.json.errmsg, "shark not pass reject");
    const credits = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: BOB,
      region: "us",
      body: {},
    });
    assert.equal(credits.json.ret, "0");
    assert.equal(fake.session(BOB).credits, 100);
    // A made-up signature is no better than none.
    const forged = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: BOB,
      region: "us",
      body: {},
      query: { msToken: "00ff", a_bogus: "forged" },
    });
    assert.equal(forged.json.ret, "-6");
    assert.match(fake.stats.badSignatures.at(-1)!, /unknown msToken/);
    // The page's assets exist only for a page that was served.
    const orphan = await fetch(`${fake.url}/secsdk/bdms.js?t=0123`);
    assert.equal(orphan.status, 404);
    await orphan.body?.cancel();
  } finally {
    await fake.close();
  }
});
