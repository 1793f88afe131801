/** Test servers listen on 127.0.0.1 only, on a port the system picks. */
import { createServer, type Server } from "node:net";

/** Starts `server` on a free loopback port and returns the port. */
export async function listenOnLoopback(
  server: Pick<Server, "once" | "off" | "listen" | "address">,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("test server has no TCP address");
  return address.port;
}

/** A port that was free a moment ago, for servers we start as child processes (slapd, Prism). */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}
