/**
 * Builds the single executable: `deno task compile [--target <triple>] [--output <path>]`.
 * The permissions it embeds are derived from the configuration, so they grow
 * with it: network, files, and exactly the environment variables the server reads.
 * @module
 */
import { parseArgs } from "node:util";
import { listSettings } from "../src/config.ts";

/** Targets the release workflow builds. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/**
 * Variables the runtime itself reads for HTTPS downloads: Node's extra CA
 * certificates (corporate proxies) and whether to use the system's store.
 */
export const RUNTIME_ENV = ["NODE_EXTRA_CA_CERTS", "NODE_USE_SYSTEM_CA"] as const;

/** The `deno compile` arguments for one build. */
export function compileArgs(options: { target?: string; output: string }): string[] {
  const env = [...listSettings().map((setting) => setting.env), ...RUNTIME_ENV].join(",");
  const args = [
    "compile",
    "--frozen",
    "--no-check",
    "--exclude-unused-npm",
    // Outbound: the upstream hosts and reference-image URLs (vetted in code); inbound: the port.
    "--allow-net",
    // DATA_DIR and LOCAL_FILES_DIR are chosen at run time, so files cannot be narrowed here.
    "--allow-read",
    "--allow-write",
    `--allow-env=${env}`,
    // Reading the CA certificates (NODE_EXTRA_CA_CERTS) is "sys" access to Deno, which has no
    // narrower grant for it.
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
