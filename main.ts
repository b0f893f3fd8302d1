/**
 * Entry point: configuration → server → graceful shutdown on SIGINT/SIGTERM.
 * @module
 */
import { loadConfig, readEnvironment } from "./src/config.ts";
import { startServer } from "./src/server.ts";

let config;
try {
  config = loadConfig(readEnvironment(), Deno.args);
} catch (error) {
  console.error(`Configuration error: ${(error as Error).message}`);
  Deno.exit(2);
}

const server = await startServer(config);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  server.deps.log.info(`Received ${signal}; shutting down`);
  await server.close();
  Deno.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => stop(signal));
}
