import assert from "node:assert/strict";
import {
  cookiesFromJson,
  dreaminaRegion,
  parseCookiePaste,
} from "../../src/accounts/cookie_import.ts";

const SID = "5f4e3d2c1b0a99887766554433221100";
const WEB_ID = "7391827364519283746";
const UID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

Deno.test("parseCookiePaste() leaves plain sessionid lists to the old splitter", () => {
  assert.equal(parseCookiePaste(SID), undefined);
  assert.equal(parseCookiePaste(`${SID}\nus-${SID}, hk-${SID}`), undefined);
  assert.equal(parseCookiePaste(`sessionid=${SID}`), undefined);
  assert.equal(parseCookiePaste(`sessionid=${SID}; sessionid=${SID.replace("5", "6")}`), undefined);
  assert.equal(parseCookiePaste("   "), undefined);
});

Deno.test("parseCookiePaste() reads a Jimeng Cookie header: sessionid, webId, uid_tt, every cookie", () => {
  const header =
    `Cookie: _tea_web_id=${WEB_ID}; is_staff_user=false; store-region=cn-gd; uid_tt=${UID}; sid_tt=${SID}; sessionid=${SID}; sessionid_ss=${SID}; passport_csrf_token=abc123`;
  const paste = parseCookiePaste(header)!;
  assert.equal(paste.format, "header");
  assert.deepEqual(paste.problems, []);
  assert.equal(paste.accounts.length, 1);
  const [account] = paste.accounts;
  assert.equal(account.token, SID);
  assert.equal(account.region, "cn");
  assert.equal(account.webId, WEB_ID);
  assert.equal(account.userId, UID);
  assert.equal(account.cookies.length, 8);
  assert.ok(account.cookies.every((c) => c.domain === ".jianying.com" && c.path === "/"));
  // Without the "Cookie:" prefix, one header per line, lower-case DevTools style too.
  const two = parseCookiePaste(
    `sessionid=${SID}; _tea_web_id=${WEB_ID}\ncookie: sessionid=${
      SID.replace("5", "6")
    }; store-country-code=us; store-idc=useast5`,
  )!;
  assert.deepEqual(two.accounts.map((a) => a.token), [SID, `us-${SID.replace("5", "6")}`]);
  assert.deepEqual(two.accounts.map((a) => a.cookies[0].domain), [".jianying.com", ".capcut.com"]);
});

Deno.test("parseCookiePaste() takes Dreamina's region from store-country-code, else store-idc", () => {
  for (
    const [country, idc, region] of [
      ["jp", "alisg", "jp"],
      ["HK", "alisg", "hk"],
      ["sg", "", "sg"],
      ["us", "useast5", "us"],
      ["gb", "alisg", "sg"],
      ["br", "useast2a", "us"],
    ]
  ) {
    const paste = parseCookiePaste(
      `sessionid=${SID}; store-country-code=${country}; store-idc=${idc}`,
    )!;
    assert.equal(paste.accounts[0]?.token, `${region}-${SID}`, `${country}/${idc}`);
  }
  const unknown = parseCookiePaste(`sessionid=${SID}; store-country-code=de; store-idc=eu-ttp2`)!;
  assert.deepEqual(unknown.accounts, []);
  assert.match(
    unknown.problems[0].reason,
    /do not tell the Dreamina region .*us-, hk-, jp- or sg- prefix/,
  );
  assert.equal(dreaminaRegion(undefined, undefined), undefined);
});

Deno.test("parseCookiePaste() reads JSON exports (EditThisCookie, Playwright) grouped by site", () => {
  const exported = [
    {
      domain: ".capcut.com",
      expirationDate: 1893456000.5,
      hostOnly: false,
      httpOnly: true,
      name: "sessionid",
      path: "/",
      sameSite: "no_restriction",
      secure: true,
      session: false,
      storeId: "0",
      value: SID,
    },
    { domain: "dreamina.capcut.com", name: "store-country-code", value: "jp", path: "/" },
    { domain: ".capcut.com", name: "_tea_web_id", value: WEB_ID, session: true },
    { domain: ".jianying.com", name: "sessionid", value: SID.replace("5", "7") },
    { domain: ".google.com", name: "NID", value: "unrelated" },
  ];
  const paste = parseCookiePaste(JSON.stringify(exported, null, 2))!;
  assert.equal(paste.format, "json");
  assert.deepEqual(paste.problems, []);
  const byToken = new Map(paste.accounts.map((a) => [a.token, a]));
  const dreamina = byToken.get(`jp-${SID}`)!;
  assert.equal(dreamina.webId, WEB_ID);
  assert.deepEqual(dreamina.cookies[0], {
    name: "sessionid",
    value: SID,
    domain: ".capcut.com",
    path: "/",
    expires: 1893456000,
    httpOnly: true,
    secure: true,
    sameSite: "None",
  });
  assert.equal(dreamina.cookies.find((c) => c.name === "_tea_web_id")!.expires, -1);
  assert.equal(dreamina.cookies.length, 3, "Google's cookie is not kept");
  assert.equal(byToken.get(SID.replace("5", "7"))!.region, "cn");
  const playwright = cookiesFromJson({ cookies: exported.slice(3, 4), origins: [] })!;
  assert.deepEqual(playwright.accounts.map((a) => a.token), [SID.replace("5", "7")]);
});

Deno.test("parseCookiePaste() reads a Netscape cookies.txt, #HttpOnly_ lines included", () => {
  const text = [
    "# Netscape HTTP Cookie File",
    "# https://curl.se/docs/http-cookies.html",
    "",
    `.jianying.com\tTRUE\t/\tFALSE\t1893456000\t_tea_web_id\t${WEB_ID}`,
    `#HttpOnly_.jianying.com\tTRUE\t/\tTRUE\t1893456000\tsessionid\t${SID}`,
    `jimeng.jianying.com\tFALSE\t/\tTRUE\t0\tempty\t`,
  ].join("\n");
  const paste = parseCookiePaste(text)!;
  assert.equal(paste.format, "netscape");
  assert.deepEqual(paste.problems, []);
  const [account] = paste.accounts;
  assert.equal(account.token, SID);
  assert.equal(account.webId, WEB_ID);
  const session = account.cookies.find((c) => c.name === "sessionid")!;
  assert.equal(session.httpOnly, true);
  assert.equal(session.secure, true);
  assert.equal(session.expires, 1893456000);
  assert.equal(account.cookies.find((c) => c.name === "empty")!.expires, -1);
});

Deno.test("parseCookiePaste() explains what cannot become an account", () => {
  const noSession = parseCookiePaste(`_tea_web_id=${WEB_ID}; uid_tt=${UID}`)!;
  assert.deepEqual(noSession.accounts, []);
  assert.match(noSession.problems[0].reason, /hold no sessionid cookie\. Log in on the site first/);
  const brokenJson = parseCookiePaste(`[{"name": "sessionid", "value": "${SID}"`)!;
  assert.match(brokenJson.problems[0].reason, /not valid JSON/);
  const notCookies = parseCookiePaste(`[1, 2, 3]`)!;
  assert.match(notCookies.problems[0].reason, /not a cookie/);
  const foreign = parseCookiePaste(JSON.stringify([{ name: "a", value: "b", domain: "x.org" }]))!;
  assert.match(foreign.problems[0].reason, /None of the cookies belongs/);
  const badLine = parseCookiePaste(`sessionid=${SID}; uid_tt=${UID}\nthis is not a cookie line`)!;
  assert.equal(badLine.accounts.length, 1);
  assert.deepEqual(badLine.problems, [{
    line: 2,
    reason: "is not a Cookie header (name=value pairs joined by ';')",
  }]);
  // A bad webId is not taken (the derived one stays).
  const odd = parseCookiePaste(`sessionid=${SID}; _tea_web_id=abc; uid_tt=zz`)!;
  assert.equal(odd.accounts[0].webId, undefined);
  assert.equal(odd.accounts[0].userId, undefined);
  // Problems never carry cookie values.
  for (const paste of [noSession, foreign, badLine]) {
    assert.ok(!JSON.stringify(paste.problems).includes(SID));
    assert.ok(!JSON.stringify(paste.problems).includes(UID));
  }
});
