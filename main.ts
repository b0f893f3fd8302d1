/**
 * Entry point: configuration → server → graceful shutdown on SIGINT/SIGTERM.
 * @module
 */
import { loadConfig, readEnvironment } from "./src/config.ts";
import { PortInUseError, type RunningServer, startServer } from "./src/server.ts";

let config;
try {
  config = loadConfig(readEnvironment(), Deno.args);
} catch (error) {
  console.error(`Configuration error: ${(error as Error).message}`);
  Deno.exit(2);
}

let server: RunningServer;
try {
  server = await startServer(config);
} catch (error) {
  // A taken port is the operator's to fix: say which, without a stack trace.
  if (error instanceof PortInUseError) console.error(`Could not start: ${error.message}`);
  else console.error("Could not start:", error);
  Deno.exit(1);
}

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
