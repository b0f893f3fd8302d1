import assert from "node:assert/strict";
import { Hono } from "hono";
import { lazyRoutes } from "../../src/api/lazy_routes.ts";
import { routeLabel } from "../../src/api/metrics.ts";

function things(): Hono {
  const app = new Hono();
  app.get("/things/:id", (c) => c.json({ id: c.req.param("id") }));
  app.post("/things", () => {
    throw new RangeError("no room for more things");
  });
  return app;
}

/** An outer application that serves `/things*` through `lazyRoutes`, noting each route label. */
function outer(load: () => Promise<Hono>) {
  const labels: string[] = [];
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    labels.push(routeLabel(c));
  });
  app.onError((error, c) => c.json({ error: (error as Error).message }, 418));
  app.notFound((c) => c.json({ error: `nothing at ${c.req.path}` }, 404));
  const handler = lazyRoutes(load);
  app.all("/things", handler);
  app.all("/things/*", handler);
  return { app, labels };
}

Deno.test("lazyRoutes() loads the application with its first request, once", async () => {
  let loads = 0;
  const { app } = outer(async () => {
    loads++;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return things();
  });
  assert.equal(loads, 0);
  const answers = await Promise.all(["/things/1", "/things/2"].map((path) => app.request(path)));
  assert.deepEqual(await Promise.all(answers.map((r) => r.json())), [{ id: "1" }, { id: "2" }]);
  assert.equal((await app.request("/things/3")).status, 200);
  assert.equal(loads, 1);
});

Deno.test("lazyRoutes() leaves what the loaded application throws to the outer onError", async () => {
  const { app } = outer(() => Promise.resolve(things()));
  const response = await app.request("/things", { method: "POST" });
  assert.equal(response.status, 418);
  assert.deepEqual(await response.json(), { error: "no room for more things" });
});

Deno.test("lazyRoutes() tries a failed load again with the next request", async () => {
  let loads = 0;
  const { app } = outer(() => {
    loads++;
    return loads === 1 ? Promise.reject(new Error("not now")) : Promise.resolve(things());
  });
  const failed = await app.request("/things/1");
  assert.equal(failed.status, 418);
  assert.deepEqual(await failed.json(), { error: "not now" });
  const served = await app.request("/things/1");
  assert.equal(served.status, 200);
  assert.equal(loads, 2);
});

Deno.test("lazyRoutes() leaves a path the loaded application does not serve to the outer notFound", async () => {
  const { app } = outer(() => Promise.resolve(things()));
  const response = await app.request("/things/7/parts");
  assert.equal(response.status, 404);
  assert.deepEqual(await response.json(), { error: "nothing at /things/7/parts" });
});

Deno.test("routeLabel() names the route the lazily loaded application matched", async () => {
  const { app, labels } = outer(() => Promise.resolve(things()));
  await app.request("/things/7");
  await app.request("/things", { method: "POST" });
  await app.request("/things/7/parts");
  assert.deepEqual(labels, ["/things/:id", "/things", "unmatched"]);
});
