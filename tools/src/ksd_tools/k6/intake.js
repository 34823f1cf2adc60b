// The bench's load on intake, run by k6 (deploy/local/k6.sh): `shared-iterations`, so the VUs
// (the concurrency) take the iterations in turn and each iteration is one request.
//   KSD_TARGET=submit   POST /v1/submissions, the iteration's own item of KSD_LOAD (a JSON list of
//                       {token, key, body}): its own Idempotency-Key and body, a distinct submission;
//                       each 202 is logged as `accepted <key> <id>` (--console-output) so the bench
//                       can follow it to its answer.
//   KSD_TARGET=batch    POST /v1/submissions/batch, the iteration's own item of KSD_LOAD ({token,
//                       body}: one node's batch, each submission its own Idempotency-Key and
//                       proposal); the counter `accepted` adds each batch's accepted count, and
//                       each batch is logged as `batch <accepted> <item's key> <id of its last submission>`.
//   KSD_TARGET=healthz  GET /healthz: the same server's floor with the same generator.
// KSD_PAUSE (seconds) after each request: the sequential, idle-platform latency. The summary
// (p50, p99, counts, rates) goes to KSD_SUMMARY as JSON.
import http from "k6/http";
import exec from "k6/execution";
import { sleep } from "k6";
import { SharedArray } from "k6/data";
import { Counter } from "k6/metrics";

const target = __ENV.KSD_TARGET;
const base = __ENV.KSD_URL;
const pause = Number(__ENV.KSD_PAUSE || "0");
const load = target !== "healthz" ? new SharedArray("load", () => JSON.parse(open(__ENV.KSD_LOAD))) : [];
const accepted = new Counter("accepted");
const refused = new Counter("refused");

export const options = { summaryTrendStats: ["med", "p(99)", "max"], discardResponseBodies: false };

export default function () {
  if (target === "healthz") {
    http.get(`${base}/healthz`);
  } else if (target === "batch") {
    const item = load[exec.scenario.iterationInTest];
    const answer = http.post(`${base}/v1/submissions/batch`, item.body, {
      headers: { Authorization: `Bearer ${item.token}`, "Content-Type": "application/json" },
    });
    if (answer.status === 200) {
      const results = answer.json("results");
      const last = results[results.length - 1];
      accepted.add(answer.json("accepted"));
      console.log(`batch ${answer.json("accepted")} ${item.key} ${last.result ? last.result.id : "-"}`);
    } else {
      refused.add(1);
      console.log(`refused batch ${answer.status} ${answer.body}`);
    }
  } else {
    const item = load[exec.scenario.iterationInTest];
    const answer = http.post(`${base}/v1/submissions`, item.body, {
      headers: { Authorization: `Bearer ${item.token}`, "Content-Type": "application/json", "Idempotency-Key": item.key },
    });
    if (answer.status === 202) {
      accepted.add(1);
      console.log(`accepted ${item.key} ${answer.json("id")}`);
    } else {
      refused.add(1);
      console.log(`refused ${item.key} ${answer.status} ${answer.body}`);
    }
  }
  if (pause > 0) sleep(pause);
}

export function handleSummary(data) {
  return { [__ENV.KSD_SUMMARY]: JSON.stringify(data) };
}
