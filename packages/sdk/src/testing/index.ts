// @weft/sdk/testing: run nodes through the real kernel, and fake the SaaS they call, in unit tests.
export type { ExampleOverrides, ExampleResult } from "./examples.ts";
export { runExamples } from "./examples.ts";
export type { FakeFault, RecordedRequest } from "./fake-service.ts";
export { FakeService, sendJson, sendText } from "./fake-service.ts";
export { expectManifestFresh } from "./manifest-fresh.ts";
export type { RunNodeOptions, RunNodeResult, Templated, TestCredential } from "./run-node.ts";
export { runNode } from "./run-node.ts";
