import assert from "node:assert/strict";
import { parseRecord, queueOf } from "../../src/jimeng/history.ts";

Deno.test("queueOf() reads queue_info and forecast_queue_cost of a queued record", () => {
  assert.deepEqual(
    queueOf({
      status: 20,
      queue_info: { queue_idx: 8, queue_length: 40 },
      forecast_queue_cost: 12,
    }),
    { position: 8, length: 40, forecastMs: 12_000 },
  );
});

Deno.test("queueOf() accepts numeric strings and a forecast nested under forecast_cost_time", () => {
  assert.deepEqual(
    queueOf({
      queue_info: { queue_idx: "3", queue_length: " 9 " },
      forecast_cost_time: { forecast_queue_cost: "4.5", forecast_generate_cost: 20 },
    }),
    { position: 3, length: 9, forecastMs: 4500 },
  );
});

Deno.test("queueOf() says nothing for running records (zeros or absent fields)", () => {
  assert.equal(queueOf({ status: 42 }), undefined);
  assert.equal(
    queueOf({
      status: 20,
      forecast_queue_cost: 0,
      queue_info: { queue_idx: 0, priority: 3, queue_status: 2, queue_length: 0 },
    }),
    undefined,
  );
  assert.equal(queueOf({ queue_info: null, forecast_queue_cost: null }), undefined);
});

Deno.test("queueOf() ignores values that are not non-negative numbers", () => {
  for (const bad of [-1, "x", "", null, {}, [], Infinity, NaN, "1e400", true]) {
    assert.equal(
      queueOf({ queue_info: { queue_idx: bad, queue_length: bad }, forecast_queue_cost: bad }),
      undefined,
      JSON.stringify(bad),
    );
  }
  // One usable field is enough; the others stay absent.
  assert.deepEqual(queueOf({ queue_info: { queue_idx: "x" }, forecast_queue_cost: 7 }), {
    position: 0,
    forecastMs: 7000,
  });
  assert.deepEqual(queueOf({ queue_info: { queue_idx: 2.6, queue_length: -4 } }), {
    position: 3,
  });
});

Deno.test("parseRecord() carries the queue only while queued", () => {
  const queued = parseRecord("1", {
    status: 20,
    item_list: [],
    queue_info: { queue_idx: 2, queue_length: 5 },
    forecast_queue_cost: 3,
  });
  assert.equal(queued.status, 20);
  assert.deepEqual(queued.queue, { position: 2, length: 5, forecastMs: 3000 });
  const running = parseRecord("1", { status: 45, item_list: [], forecast_queue_cost: 0 });
  assert.equal("queue" in running, false);
});
