import assert from "node:assert/strict";
import { RUNTIME_SETTINGS } from "../../src/config.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { startStack } from "../helpers/stack.ts";

type SettingJson = { env: string; value: string | null; runtime?: boolean; source: string };
const TRANSPORT = "JIMENG_BROWSER_TRANSPORT";

Deno.test("a runtime setting changed in the console is validated, stored and kept across a restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-settings-" });
  const env = { ...ADMIN_ENV, DATA_DIR: dataDir };
  try {
    const first = await startStack({ env });
    try {
      const admin = await loginAdmin(first);
      const config = await admin.json<{ settings: SettingJson[] }>("GET", "/config");
      const before = config.settings.find((s) => s.env === TRANSPORT)!;
      assert.deepEqual([before.value, before.source, before.runtime], [null, "default", true]);
      assert.equal(first.server.settings.get(RUNTIME_SETTINGS.browserTransport), "auto");

      const bad = await admin.json<{ error: { param: string; message: string } }>(
        "PUT",
        `/settings/${TRANSPORT}`,
        { value: "sometimes" },
        400,
      );
      assert.equal(bad.error.param, "value");
      assert.match(bad.error.message, /off or auto or always/);
      const fixed = await admin.json<{ error: { code: string } }>(
        "PUT",
        "/settings/PORT",
        { value: "9000" },
        400,
      );
      assert.equal(fixed.error.code, "not_changeable");

      const changed = await admin.json<SettingJson>("PUT", `/settings/${TRANSPORT}`, {
        value: "always",
      });
      assert.deepEqual([changed.value, changed.source], ["always", "console"]);
      assert.equal(first.server.settings.get(RUNTIME_SETTINGS.browserTransport), "always");
      // Without the CSRF token a change is refused.
      const forged = await fetch(`${first.url}/api/admin/settings/${TRANSPORT}`, {
        method: "PUT",
        headers: { Cookie: admin.cookie, Origin: first.url, "Content-Type": "application/json" },
        body: JSON.stringify({ value: "off" }),
      });
      assert.equal(forged.status, 403);
      await forged.body?.cancel();
    } finally {
      await first.close();
    }

    const second = await startStack({ env });
    try {
      assert.equal(second.server.settings.get(RUNTIME_SETTINGS.browserTransport), "always");
      const admin = await loginAdmin(second);
      const cleared = await admin.json<SettingJson>("PUT", `/settings/${TRANSPORT}`, {
        value: null,
      });
      assert.deepEqual([cleared.value, cleared.source], [null, "default"]);
      assert.equal(second.server.settings.get(RUNTIME_SETTINGS.browserTransport), "auto");
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the environment wins over the console and says so", async () => {
  const stack = await startStack({ env: { ...ADMIN_ENV, [TRANSPORT]: "off" } });
  try {
    const admin = await loginAdmin(stack);
    const refused = await admin.json<{ error: { code: string; message: string } }>(
      "PUT",
      `/settings/${TRANSPORT}`,
      { value: "always" },
      400,
    );
    assert.equal(refused.error.code, "not_changeable");
    assert.match(refused.error.message, /environment/);
    const config = await admin.json<{ settings: SettingJson[] }>("GET", "/config");
    const view = config.settings.find((s) => s.env === TRANSPORT)!;
    assert.deepEqual([view.value, view.source], ["off", "environment"]);
    assert.equal(stack.server.settings.get(RUNTIME_SETTINGS.browserTransport), "off");
  } finally {
    await stack.close();
  }
});

Deno.test("a bad runtime setting in the environment stops the start like any other", async () => {
  await assert.rejects(
    () => startStack({ env: { [TRANSPORT]: "sometimes" } }),
    /Invalid JIMENG_BROWSER_TRANSPORT "sometimes"/,
  );
});
