import assert from "node:assert/strict";
import { createSecretBox, deriveKey, KEY_FILE, loadSecretKey } from "../../src/accounts/secrets.ts";
import { createLogger } from "../../src/log.ts";

const log = createLogger({ write: null });

Deno.test("createSecretBox() seals with a fresh nonce and opens only with the same key and context", () => {
  const box = createSecretBox(deriveKey("a test key of some length"));
  const one = box.seal("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "row-1");
  const two = box.seal("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "row-1");
  assert.notDeepEqual(one, two);
  assert.equal(box.open(one, "row-1"), "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  assert.ok(!new TextDecoder().decode(one).includes("0f1e2d3c"));
  assert.throws(() => box.open(one, "row-2"));
  const other = createSecretBox(deriveKey("another test key entirely"));
  assert.notEqual(other.keyId, box.keyId);
  assert.throws(() => other.open(one, "row-1"));
  const tampered = one.slice();
  tampered[20] ^= 1;
  assert.throws(() => box.open(tampered, "row-1"));
  assert.throws(() => box.open(new Uint8Array([9, 1, 2]), "row-1"), /not in a known format/);
  assert.throws(() => createSecretBox(new Uint8Array(16)), RangeError);
});

Deno.test("deriveKey() is deterministic per SECRET_KEY", () => {
  assert.deepEqual(deriveKey("same secret key value"), deriveKey("same secret key value"));
  assert.notDeepEqual(deriveKey("same secret key value"), deriveKey("same secret key valuE"));
  assert.equal(deriveKey("x".repeat(16)).length, 32);
});

Deno.test("loadSecretKey() creates DATA_DIR/secret.key with mode 0600 and reuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = loadSecretKey({ secretKey: null, dataDir: dir, log });
    assert.equal(first.length, 32);
    const path = `${dir}/${KEY_FILE}`;
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(loadSecretKey({ secretKey: null, dataDir: dir, log }), first);

    await Deno.chmod(path, 0o644);
    const warnings: string[] = [];
    const watcher = createLogger({ write: (line) => warnings.push(line) });
    assert.deepEqual(loadSecretKey({ secretKey: null, dataDir: dir, log: watcher }), first);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.ok(warnings.some((w) => w.includes("permissions are now 0600")));

    await Deno.writeTextFile(path, "too short\n");
    assert.throws(() => loadSecretKey({ secretKey: null, dataDir: dir, log }), /32-byte/);
    // SECRET_KEY wins over the file; no directory means a key for this run only.
    assert.deepEqual(
      loadSecretKey({ secretKey: "configured secret key", dataDir: dir, log }),
      deriveKey("configured secret key"),
    );
    assert.notDeepEqual(
      loadSecretKey({ secretKey: null, dataDir: null, log }),
      loadSecretKey({ secretKey: null, dataDir: null, log }),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
