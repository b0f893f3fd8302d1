import assert from "node:assert/strict";
import { breakRuns } from "../../static/url_breaks.js";

Deno.test("breakRuns() breaks a URL after slashes and before dots and hyphens", () => {
  assert.deepEqual(breakRuns("https://jimeng.jianying.com/ai-tool/video/generate?x=1&y=2"), [
    "https://",
    "jimeng",
    ".jianying",
    ".com/",
    "ai",
    "-tool/",
    "video/",
    "generate",
    "?x=",
    "1&",
    "y=",
    "2",
  ]);
});

Deno.test("breakRuns() keeps numbers whole: versions and addresses", () => {
  assert.deepEqual(breakRuns("jimeng-video-seedance-2.0-fast"), [
    "jimeng",
    "-video",
    "-seedance",
    "-2.0",
    "-fast",
  ]);
  assert.deepEqual(breakRuns("http://127.0.0.1:8000/v1"), ["http://", "127.0.0.1:8000/", "v1"]);
});

Deno.test("breakRuns() loses no character and leaves plain words alone", () => {
  for (
    const text of ["", "plain", "a//b", "--proxy-server=http://h:1", "user:password@host", "x/"]
  ) {
    assert.equal(breakRuns(text).join(""), text);
  }
  assert.deepEqual(breakRuns("plain words stay"), ["plain words stay"]);
});
