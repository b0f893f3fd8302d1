import assert from "node:assert/strict";
import { Hono } from "hono";
import { lazyRoutes, type OuterAnswers } from "../../src/api/lazy_routes.ts";
import { routeLabel } from "../../src/api/metrics.ts";

type Env = { Variables: { caller: string; seen: string } };

function things(): Hono<Env> {
  const app = new Hono<Env>();
  app.use(async function noStore(c, next) {
    await next();
    c.header("Cache-Control", "no-store");
  });
  app.get("/things/:id", (c) => {
    c.set("seen", c.req.param("id"));
    return c.json({ id: c.req.param("id"), caller: c.get("caller") });
  });
  app.post("/things", () => {
    throw new RangeError("no room for more things");
  });
  return app;
}

/** An outer application that serves `/things*` through `lazyRoutes`, noting what each request left. */
function outer(load: () => Promise<Hono<Env>>) {
  const notes: { label: string; seen?: string }[] = [];
  const app = new Hono<Env>();
  app.use(async (c, next) => {
    c.set("caller", "tester");
    await next();
    notes.push({ label: routeLabel(c), seen: c.get("seen") });
  });
  const answers: OuterAnswers<Env> = {
    onError: (error, c) =>
      c.json({ error: (error as Error).message, caller: c.get("caller") }, 418),
    notFound: (c) => c.json({ error: `nothing at ${c.req.path}` }, 404),
  };
  app.onError(answers.onError);
  app.notFound(answers.notFound);
  const handler = lazyRoutes(load, answers);
  app.all("/things", handler);
  app.all("/things/*", handler);
  return { app, notes };
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
  assert.deepEqual(await Promise.all(answers.map((r) => r.json())), [
    { id: "1", caller: "tester" },
    { id: "2", caller: "tester" },
  ]);
  assert.equal((await app.request("/things/3")).status, 200);
  assert.equal(loads, 1);
});

Deno.test("lazyRoutes() shares the request's variables both ways", async () => {
  const { app, notes } = outer(() => Promise.resolve(things()));
  const response = await app.request("/things/5");
  assert.deepEqual(await response.json(), { id: "5", caller: "tester" });
  assert.equal(notes[0].seen, "5");
});

Deno.test("lazyRoutes() answers what the loaded application throws with the outer onError", async () => {
  const { app } = outer(() => Promise.resolve(things()));
  const response = await app.request("/things", { method: "POST" });
  assert.equal(response.status, 418);
  // The loaded application's own middleware still finishes its work on the answer.
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.deepEqual(await response.json(), { error: "no room for more things", caller: "tester" });
});

Deno.test("lazyRoutes() answers a path the loaded application does not serve with the outer notFound", async () => {
  const { app } = outer(() => Promise.resolve(things()));
  for (const [method, path] of [["GET", "/things/7/parts"], ["PATCH", "/things/7"]]) {
    const response = await app.request(path, { method });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.deepEqual(await response.json(), { error: `nothing at ${path}` });
  }
});

Deno.test("lazyRoutes() tries a failed load again with the next request", async () => {
  let loads = 0;
  const { app } = outer(() => {
    loads++;
    return loads === 1 ? Promise.reject(new Error("not now")) : Promise.resolve(things());
  });
  const failed = await app.request("/things/1");
  assert.equal(failed.status, 418);
  assert.equal((await failed.json()).error, "not now");
  const served = await app.request("/things/1");
  assert.equal(served.status, 200);
  assert.equal(loads, 2);
});

Deno.test("routeLabel() names the route the lazily loaded application matched", async () => {
  const { app, notes } = outer(() => Promise.resolve(things()));
  await app.request("/things/7");
  await app.request("/things", { method: "POST" });
  await app.request("/things/7/parts");
  assert.deepEqual(notes.map((n) => n.label), ["/things/:id", "/things", "unmatched"]);
});
