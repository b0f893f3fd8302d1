import assert from "node:assert/strict";
import {
  createCreditEstimator,
  imageTaskCredits,
  imageTasks,
  tableCredits,
} from "../../src/api/credit_estimate.ts";
import { splitImageCount } from "../../src/generation/images.ts";
import { findModel, type ImageModel, type VideoModel } from "../../src/jimeng/models.ts";
import { imageCost, type ImageTier } from "../fake_upstream/models.ts";

const IMAGE = findModel("jimeng-image-4.5") as ImageModel;
const PRO = findModel("jimeng-image-5.0-pro") as ImageModel;
const VIDEO = findModel("jimeng-video-3.0") as VideoModel;

Deno.test("imageTasks() counts the tasks splitImageCount() makes", () => {
  assert.deepEqual([1, 4, 5, 8, 10].map(imageTasks), [1, 1, 2, 2, 3]);
});

Deno.test("imageTaskCredits() prices each task by its own image count, rounded up", () => {
  // 10 → 4 + 4 + 2 at 8 a four-image task: 8 + 8 + 4.
  assert.equal(imageTaskCredits(10, 8), 20);
  // 5 → 4 + 1 at 2: 2 + 1 (a task never costs less than a whole credit).
  assert.equal(imageTaskCredits(5, 2), 3);
  assert.equal(imageTaskCredits(1, 2), 1);
  assert.equal(imageTaskCredits(3, 4), 3);
});

Deno.test("estimate() covers every task or second at a generous rate, and learns higher costs", () => {
  const estimator = createCreditEstimator();
  const image = (n: number, resolution: "1k" | "2k" | "4k") =>
    estimator.estimate({ kind: "image", model: IMAGE, resolution, n });
  assert.equal(image(1, "1k").credits, 1);
  assert.equal(image(4, "1k").credits, 2);
  assert.deepEqual(image(10, "4k"), {
    credits: 20,
    kind: "image",
    costKey: "jimeng-image-4.5|4k",
    units: 10,
  });
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
  assert.deepEqual(video, {
    credits: 20,
    kind: "video",
    costKey: "jimeng-video-3.0|720p",
    units: 10,
  });
  // A cheaper measurement never lowers the estimate; a dearer one raises it, for tasks of
  // that size only.
  estimator.learn(image(4, "1k"), 1);
  assert.equal(image(4, "1k").credits, 2);
  estimator.learn(image(8, "1k"), 7);
  assert.equal(image(4, "1k").credits, 4);
  assert.equal(image(5, "1k").credits, 4 + 1);
  assert.equal(image(1, "1k").credits, 1);
  // One image cost 3: tasks of one image are dearer now; 10 → 4 + 4 + 2 learns nothing.
  estimator.learn(image(1, "1k"), 3);
  assert.equal(image(9, "1k").credits, 4 + 4 + 3);
  estimator.learn(image(10, "1k"), 100);
  assert.equal(image(10, "1k").credits, 4 + 4 + 1);
  // 30 credits for 10 s: 3 a second, above the table's 2.
  estimator.learn(video, 30);
  const fiveSeconds = { kind: "video", model: VIDEO, resolution: "720p", seconds: 5 } as const;
  assert.equal(estimator.estimate(fiveSeconds).credits, 15);
  estimator.learn({ kind: "image", costKey: "x", units: 0 }, 5);
  estimator.learn({ kind: "image", costKey: "y", units: 1 }, -1);
  assert.equal(image(1, "2k").credits, 1);
  assert.equal(image(4, "2k").credits, 4);
});

Deno.test("estimate() is never below what the upstream charges for the tasks of n images", () => {
  const estimator = createCreditEstimator();
  // The fake charges a task of k images its four-image price scaled to k, rounded up.
  for (const tier of ["1k", "2k", "4k"] as const satisfies readonly ImageTier[]) {
    for (let n = 1; n <= 10; n++) {
      const charged = splitImageCount(n).reduce((sum, k) => sum + imageCost(tier, k), 0);
      const asked = estimator.estimate({ kind: "image", model: IMAGE, resolution: tier, n });
      assert.ok(asked.credits >= charged, `${tier} n=${n}: ${asked.credits} < ${charged}`);
      // Learning what was charged keeps it so, and never inflates other counts past the table.
      estimator.learn(asked, charged);
    }
    for (let n = 1; n <= 10; n++) {
      const charged = splitImageCount(n).reduce((sum, k) => sum + imageCost(tier, k), 0);
      const ask = { kind: "image", model: IMAGE, resolution: tier, n } as const;
      const again = estimator.estimate(ask);
      assert.ok(again.credits >= charged, `${tier} n=${n} after learning`);
      assert.equal(again.credits, imageTaskCredits(n, tableCredits(ask)));
    }
  }
});
