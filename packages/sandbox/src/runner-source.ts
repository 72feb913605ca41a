// The JavaScript that runs inside the isolate around a user script. It is compiled together with the
// script (one compiled unit per code and isolate, so a run costs one call into the isolate) and runs
// before any user code, so it can take the host callbacks off the global object and keep the builtins
// it relies on in its closure, where the script cannot reach them.
//
// Layout of the compiled unit:
//   <RUNNER_SOURCE>                       lines <= 0 once the line offset is applied
//   __weftRun(async function () {         line 0
//   <user code>                           lines 1..n: the script's own line numbers
//   })                                    line n + 1
// The user function sits at the top level, not inside the runner, so nothing of the runner's scope
// is visible to it; `__weftRun` deletes itself before the user function is called.
//
// What crosses the boundary:
//   in:  `__weft` (an ExternalCopy of { globals, hostNames, limits }), `__weftLog(level, message)` and
//        `__weftPost(kind, id, a, b)` (fire-and-forget host callbacks, delivered in order);
//   out: the run's completion value, a string: "R" + result JSON | "E" + thrown-value JSON | "O" + message;
//   host -> isolate: `__weftSettle(kind, id, ok, payload)` resolves timers and host calls.

/** The file name user code carries in stack traces. */
export const SCRIPT_FILENAME = "script.js";

/** Names the sandbox defines itself; globals and host functions may not take them. */
export const RESERVED_GLOBALS: readonly string[] = [
  "console",
  "setTimeout",
  "clearTimeout",
  "globalThis",
  "__weft",
  "__weftLog",
  "__weftPost",
  "__weftRun",
  "__weftSettle",
];

/** Most timers one run may create: scripts need a few to await, never thousands. */
export const MAX_TIMERS_PER_RUN = 1_000;
/** Most host calls one run may have pending at once. */
export const MAX_PENDING_HOST_CALLS = 64;

const RUNNER_SOURCE = String.raw`(function () {
"use strict";
const g = globalThis;
const boot = g.__weft, log = g.__weftLog, post = g.__weftPost;
delete g.__weft; delete g.__weftLog; delete g.__weftPost;
// Shared memory and WebAssembly are of no use to a transform script and only widen what it can do
// to the thread it runs on (Atomics.wait blocks it).
delete g.Atomics; delete g.SharedArrayBuffer; delete g.WebAssembly;
const apply = Reflect.apply, defineProperty = Object.defineProperty, stringify = JSON.stringify, parse = JSON.parse;
const StringC = String, ErrorC = Error, TypeErrorC = TypeError, PromiseC = Promise, MapC = Map, NumberC = Number;
const promiseThen = Promise.prototype.then, mapGet = Map.prototype.get, mapSet = Map.prototype.set, mapDelete = Map.prototype.delete;
const strSlice = String.prototype.slice, arrayJoin = Array.prototype.join, isArray = Array.isArray;
const limits = boot.limits;
let done = false, finish = null;

// console: formatted here, bounded here (the host bounds again), sent fire-and-forget.
let logCount = 0, logBytes = 0, dropped = 0;
function describeValue(v) {
  if (typeof v === "string") return v;
  if (v instanceof ErrorC) { const s = v.stack; return typeof s === "string" ? s : StringC(v.name) + ": " + StringC(v.message); }
  if (typeof v === "function") return "[Function " + (StringC(v.name) || "anonymous") + "]";
  if (v === null || typeof v !== "object") return StringC(v);
  const seen = [];
  try {
    const s = stringify(v, function (key, value) {
      if (typeof value === "bigint") return StringC(value) + "n";
      if (typeof value === "function") return "[Function]";
      if (typeof value === "symbol") return StringC(value);
      if (value !== null && typeof value === "object") {
        for (let i = 0; i < seen.length; i++) if (seen[i] === value) return "[Circular]";
        if (seen.length < 10000) seen[seen.length] = value;
      }
      return value;
    });
    return s === undefined ? StringC(v) : s;
  } catch (e) {
    return "[unprintable value]";
  }
}
function emit(level, args) {
  if (done) return;
  if (dropped > 0 || logCount >= limits.maxLogEntries || logBytes >= limits.maxLogBytes) {
    if (dropped++ === 0) log("truncated", "");
    return;
  }
  const parts = [];
  for (let i = 0; i < args.length && i < 100; i++) {
    let part;
    try { part = describeValue(args[i]); } catch (e) { part = "[unprintable value]"; }
    parts[i] = part;
  }
  let message = apply(arrayJoin, parts, [" "]);
  const room = limits.maxLogBytes - logBytes;
  if (message.length > room) message = apply(strSlice, message, [0, room]);
  logCount++;
  logBytes += message.length;
  log(level, message);
}
const consoleObject = {};
const levels = [["log", "info"], ["info", "info"], ["dir", "info"], ["debug", "debug"], ["trace", "debug"], ["warn", "warn"], ["error", "error"]];
for (const [name, level] of levels) {
  defineProperty(consoleObject, name, { enumerable: true, value: function () { emit(level, arguments); } });
}
defineProperty(g, "console", { configurable: true, writable: true, value: consoleObject });

// Timers and host calls: the host drives both and answers through __weftSettle.
let nextId = 1, timerCount = 0, pendingCalls = 0;
const timers = new MapC(), calls = new MapC();
function setTimeout(fn, delay) {
  if (typeof fn !== "function") throw new TypeErrorC("setTimeout expects a function");
  if (timerCount >= __MAX_TIMERS__) throw new ErrorC("A script may create at most __MAX_TIMERS__ timers");
  timerCount++;
  const id = nextId++;
  const extra = [];
  for (let i = 2; i < arguments.length; i++) extra[i - 2] = arguments[i];
  apply(mapSet, timers, [id, { fn: fn, args: extra }]);
  const ms = NumberC(delay);
  post("timer", id, ms > 0 ? ms : 0, null);
  return id;
}
function clearTimeout(id) {
  if (apply(mapDelete, timers, [id])) post("clear", id, null, null);
}
defineProperty(g, "setTimeout", { configurable: true, writable: true, value: setTimeout });
defineProperty(g, "clearTimeout", { configurable: true, writable: true, value: clearTimeout });
const hostNames = boot.hostNames;
for (let i = 0; i < hostNames.length; i++) {
  const name = hostNames[i];
  const hostFunction = function () {
    if (pendingCalls >= __MAX_CALLS__) return PromiseC.reject(new ErrorC("Too many pending host calls"));
    let json;
    try {
      const list = [];
      for (let j = 0; j < arguments.length; j++) list[j] = arguments[j] === undefined ? null : arguments[j];
      json = stringify(list);
    } catch (e) {
      return PromiseC.reject(new TypeErrorC(name + ": arguments must be JSON values"));
    }
    const id = nextId++;
    pendingCalls++;
    return new PromiseC(function (resolve, reject) {
      apply(mapSet, calls, [id, { resolve: resolve, reject: reject }]);
      post("call", id, name, json);
    });
  };
  defineProperty(g, name, { configurable: true, writable: true, value: hostFunction });
}
function settle(kind, id, ok, payload) {
  if (done) return;
  if (kind === "timer") {
    const timer = apply(mapGet, timers, [id]);
    if (timer === undefined) return;
    apply(mapDelete, timers, [id]);
    try { apply(timer.fn, undefined, timer.args); } catch (e) { fail(e); }
    return;
  }
  const call = apply(mapGet, calls, [id]);
  if (call === undefined) return;
  apply(mapDelete, calls, [id]);
  pendingCalls--;
  if (ok) call.resolve(parse(payload)); else call.reject(new ErrorC(StringC(payload)));
}
defineProperty(g, "__weftSettle", { value: settle });

// Inputs: copied in, the script's own to change.
const globals = boot.globals;
for (const key in globals) defineProperty(g, key, { configurable: true, writable: true, enumerable: true, value: globals[key] });

function describeThrown(e) {
  const info = { __proto__: null, name: "", message: "", stack: "", thrown: typeof e };
  try {
    if (e instanceof ErrorC) {
      info.thrown = "error";
      info.name = StringC(e.name);
      info.message = StringC(e.message);
      const stack = e.stack;
      if (typeof stack === "string") info.stack = apply(strSlice, stack, [0, 16384]);
    } else if (typeof e === "string") {
      info.message = e;
    } else {
      let text;
      try { text = stringify(e); } catch (err) { text = undefined; }
      info.message = text === undefined ? StringC(e) : text;
      if (e === null) info.thrown = "null";
      else if (isArray(e)) info.thrown = "array";
    }
  } catch (err) {
    info.message = "a value that cannot be described";
  }
  if (info.message.length > 4096) info.message = apply(strSlice, info.message, [0, 4096]);
  return "E" + stringify(info);
}
function encodeResult(value) {
  let json;
  try {
    json = stringify(value === undefined ? null : value, function (key, v) {
      const t = typeof v;
      if (t === "function" || t === "symbol") {
        throw new TypeErrorC("the result contains a " + (t === "function" ? "function" : "symbol") + (key === "" ? "" : " (at key \"" + StringC(key) + "\")"));
      }
      return v;
    });
  } catch (e) {
    let message;
    try { message = StringC(e && e.message); } catch (err) { message = "the result cannot be serialised"; }
    return "O" + message;
  }
  if (typeof json !== "string") return "O" + "the result is not a JSON value";
  if (json.length > limits.maxOutputBytes) return "O" + "the result is larger than " + limits.maxOutputBytes + " bytes";
  return "R" + json;
}
function end(envelope) {
  if (done) return;
  done = true;
  if (dropped > 0) log("truncated", StringC(dropped));
  finish(envelope);
}
function fail(e) { end(describeThrown(e)); }
async function settleMain(fn) {
  let value;
  try { value = await fn(); } catch (e) { return describeThrown(e); }
  return encodeResult(value);
}
defineProperty(g, "__weftRun", { configurable: true, value: function (fn) {
  delete g.__weftRun;
  const result = new PromiseC(function (resolve) { finish = resolve; });
  apply(promiseThen, settleMain(fn), [end]);
  return result;
} });
})();`;

const runnerSource = RUNNER_SOURCE.replaceAll("__MAX_TIMERS__", String(MAX_TIMERS_PER_RUN)).replaceAll(
  "__MAX_CALLS__",
  String(MAX_PENDING_HOST_CALLS),
);
const RUNNER_LINES = runnerSource.split("\n").length;

/** The compiled unit for a user script, and the line offset that makes its lines the script's own. */
export function scriptUnit(code: string): { source: string; lineOffset: number } {
  return { source: `${runnerSource}\n__weftRun(async function () {\n${code}\n})`, lineOffset: -(RUNNER_LINES + 1) };
}

/** Checks, inside the isolate, that the code is one function body and cannot close the wrapper early. */
export const BODY_CHECK_SOURCE = "new (async function () {}).constructor($0); return true;";
