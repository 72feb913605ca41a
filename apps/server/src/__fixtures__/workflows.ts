// Workflow definitions the API tests use (first-party node types only).

/** trigger → condition.if → map (true) / noop (false). */
export function branchingWorkflow(name = "Triage") {
  return {
    name,
    description: "routes on severity",
    nodes: [
      { id: "start", type: "trigger.manual", data: {} },
      { id: "check", type: "condition.if", data: { config: { condition: 'severity = "critical"' } } },
      { id: "page", type: "transform.map", data: { config: { expression: "{ 'paged': $input.host }" } } },
      { id: "ignore", type: "control.noop", data: { config: { value: { ignored: true } } } },
    ],
    edges: [
      { id: "e1", source: "start", target: "check" },
      { id: "e2", source: "check", target: "page", sourceHandle: "true" },
      { id: "e3", source: "check", target: "ignore", sourceHandle: "false" },
    ],
  };
}

/** trigger → approval.request → noop on approved; `approver` overrides the approval's config. */
export function approvalWorkflow(approver: { approverRole?: string; approverUser?: string } = {}) {
  return {
    name: "Needs approval",
    nodes: [
      { id: "start", type: "trigger.manual", data: {} },
      {
        id: "ask",
        type: "approval.request",
        data: { config: { title: "Close the ticket?", approverRole: "operator", ...approver } },
      },
      { id: "done", type: "control.noop", data: { config: { value: "closed" } } },
    ],
    edges: [
      { id: "e1", source: "start", target: "ask" },
      { id: "e2", source: "ask", target: "done", sourceHandle: "approved" },
    ],
  };
}

/** trigger → a one-hour delay: a run that stays active. */
export function waitingWorkflow() {
  return {
    name: "Waits",
    nodes: [
      { id: "start", type: "trigger.manual", data: {} },
      { id: "wait", type: "control.delay", data: { config: { durationMs: 3_600_000 } } },
    ],
    edges: [{ id: "e1", source: "start", target: "wait" }],
  };
}

/** trigger → http.request to `url` → noop: a run that stays `running` while the server holds the call. */
export function slowCallWorkflow(url: string) {
  return {
    name: "Slow call",
    nodes: [
      { id: "start", type: "trigger.manual", data: {} },
      { id: "call", type: "http.request", data: { config: { url } } },
      { id: "after", type: "control.noop", data: { config: { value: "after" } } },
    ],
    edges: [
      { id: "e1", source: "start", target: "call" },
      { id: "e2", source: "call", target: "after" },
    ],
  };
}

/** trigger → test.awaitWebhook (waits until resumed through the API) → noop. */
export function webhookWaitWorkflow() {
  return {
    name: "Waits for a callback",
    nodes: [
      { id: "start", type: "trigger.manual", data: {} },
      { id: "callback", type: "test.awaitWebhook", data: { config: {} } },
      { id: "done", type: "control.noop", data: { config: { value: "done" } } },
    ],
    edges: [
      { id: "e1", source: "start", target: "callback" },
      { id: "e2", source: "callback", target: "done" },
    ],
  };
}
