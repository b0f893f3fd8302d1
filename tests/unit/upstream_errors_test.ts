import assert from "node:assert/strict";
import { errorFromFailCode, errorFromRet, isRiskControl } from "../../src/jimeng/errors.ts";
import { toApiError } from "../../src/api/errors.ts";

Deno.test("errorFromRet() classifies every risk-control answer as its own kind, never retried", () => {
  for (
    const [ret, message] of [
      ["4013", "生成失败，疑似存在异常行为，请重新尝试"],
      ["1019", "shark not pass"],
      ["-6", "shark not pass reject"],
      ["1002", "shark not pass"],
    ]
  ) {
    const error = errorFromRet(ret, message);
    assert.equal(error.kind, "risk_control", ret);
    assert.equal(error.retriable, false);
    const api = toApiError(error);
    assert.equal(api.status, 403);
    assert.equal(api.code, "upstream_risk_control");
    assert.match(api.message, /web page/);
  }
  assert.equal(errorFromFailCode("4013", "video").kind, "risk_control");
  assert.ok(isRiskControl("0", "Couldn't generate due to unusual activity in your account."));
  assert.ok(!isRiskControl("1015", "login expired"));
});

Deno.test("errorFromRet() maps 2061 to model_not_found and 1014 to an outdated client", () => {
  const offline = toApiError(errorFromRet("2061", "模型已不可用"));
  assert.equal(offline.status, 404);
  assert.equal(offline.code, "model_not_found");
  const sign = toApiError(errorFromRet("1014", "sign error"));
  assert.equal(sign.status, 502);
  assert.equal(sign.code, "upstream_client_outdated");
  assert.match(sign.message, /signature/);
  assert.match(sign.message, /JIMENG_APPVR/);
});
