import { createConnection } from "node:net";
import { expect, it } from "vitest";
import { testRedisUrl } from "./pg.ts";

it("the test run's redis-server answers PING on loopback", async () => {
  const url = new URL(testRedisUrl());
  expect(url.hostname).toBe("127.0.0.1");
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port) }, () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.end();
      resolve(data.toString());
    });
    socket.once("error", reject);
  });
  expect(reply).toBe("+PONG\r\n");
});
