/**
 * Builds the single executable: `deno task compile [--target <triple>] [--output <path>]`.
 * It embeds the permissions of `deno task start`: network, files, the
 * environment, system information (CA certificates), and starting a system
 * Chromium for the browser transport.
 * @module
 */
import { parseArgs } from "node:util";
import { PLAYWRIGHT_MODULE } from "../src/jimeng/playwright.ts";

/** Targets the release workflow builds. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** The `deno compile` arguments for one build. */
export function compileArgs(options: { target?: string; output: string }): string[] {
  const args = [
    "compile",
    "--frozen",
    "--no-check",
    "--exclude-unused-npm",
    // The browser transport imports it on first use only, through a variable.
    "--include",
    PLAYWRIGHT_MODULE,
    // Outbound: the upstream hosts and reference-image URLs (vetted in code); inbound: the port.
    "--allow-net",
    // DATA_DIR and LOCAL_FILES_DIR are chosen at run time, so files cannot be narrowed here.
    "--allow-read",
    "--allow-write",
    // The server reads only its settings and PATH, but the browser driver (playwright-core)
    // enumerates the environment, which Deno allows only with the whole of it.
    "--allow-env",
    // The browser transport starts the system's Chromium (CHROMIUM_PATH or found on PATH).
    "--allow-run",
    // playwright-core asks for the home directory and the OS release, and reading the CA
    // certificates (NODE_EXTRA_CA_CERTS) is "sys" access too, with no narrower grant.
    "--allow-sys",
  ];
  if (options.target) args.push("--target", options.target);
  args.push("--output", options.output, "main.ts");
  return args;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { target: { type: "string" }, output: { type: "string" } },
  });
  if (values.target && !(TARGETS as readonly string[]).includes(values.target)) {
    throw new RangeError(`Unknown target "${values.target}"; one of ${TARGETS.join(", ")}`);
  }
  const suffix = values.target ? `-${values.target}` : "";
  const exe = values.target?.includes("windows") ? ".exe" : "";
  const output = values.output ?? `dist/jimeng-api${suffix}${exe}`;
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs({ target: values.target, output }),
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  Deno.exit(code);
}

if (import.meta.main) await main();
