import assert from "node:assert/strict";
import { createCreditEstimator, imageTasks } from "../../src/api/credit_estimate.ts";
import { findModel, type ImageModel, type VideoModel } from "../../src/jimeng/models.ts";

const IMAGE = findModel("jimeng-image-4.5") as ImageModel;
const PRO = findModel("jimeng-image-5.0-pro") as ImageModel;
const VIDEO = findModel("jimeng-video-3.0") as VideoModel;

Deno.test("imageTasks() is one upstream task per four images", () => {
  assert.deepEqual([1, 4, 5, 8, 10].map(imageTasks), [1, 1, 2, 2, 3]);
});

Deno.test("estimate() covers every task or second at a generous rate, and learns higher costs", () => {
  const estimator = createCreditEstimator();
  const image = (n: number, resolution: "1k" | "2k" | "4k") =>
    estimator.estimate({ kind: "image", model: IMAGE, resolution, n });
  assert.equal(image(1, "1k").credits, 2);
  assert.equal(image(10, "4k").credits, 24);
  assert.equal(
    estimator.estimate({ kind: "image", model: PRO, resolution: "2k", n: 4 }).credits,
    8,
  );
  const video = estimator.estimate({
    kind: "video",
    model: VIDEO,
    resolution: "720p",
    seconds: 10,
  });
  assert.deepEqual(video, { credits: 20, costKey: "jimeng-video-3.0|720p", units: 10 });
  // A cheaper measurement never lowers the estimate; a dearer one raises it.
  estimator.learn(image(1, "1k").costKey, 1, 1);
  assert.equal(image(1, "1k").credits, 2);
  estimator.learn(image(1, "1k").costKey, 2, 7);
  assert.equal(image(5, "1k").credits, 7);
  estimator.learn("x", 0, 5);
  estimator.learn("y", 1, -1);
  assert.equal(image(1, "2k").credits, 4);
});
