/**
 * Runs before the tests (`deno task test`): the console's browser tests
 * drive Chromium, so on a fresh machine it is installed when missing — with
 * apt-get when running as root, as `.ci/run` did — and otherwise the run
 * stops at once with what to do, instead of failing browser test by test.
 * @module
 */

/** Where Debian's `chromium` package puts the browser (what the tests use by default). */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** What is known about the machine. */
export interface ChromiumFacts {
  /** `CHROMIUM_PATH`, if set. */
  chromiumPath: string | undefined;
  exists: (path: string) => boolean;
  isRoot: boolean;
  hasAptGet: boolean;
}

/** What to do: nothing, install with apt-get, or stop with a message. */
export type ChromiumPlan =
  | { action: "ready"; path: string }
  | { action: "install" }
  | { action: "stop"; message: string };

const HOW =
  "install it (Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable, then run deno task test again";

/** Decides what to do about Chromium. */
export function chromiumPlan(facts: ChromiumFacts): ChromiumPlan {
  if (facts.chromiumPath) {
    return facts.exists(facts.chromiumPath) ? { action: "ready", path: facts.chromiumPath } : {
      action: "stop",
      message: `CHROMIUM_PATH is ${facts.chromiumPath}, which does not exist: ${HOW}`,
    };
  }
  if (facts.exists(DEFAULT_CHROMIUM)) return { action: "ready", path: DEFAULT_CHROMIUM };
  if (facts.isRoot && facts.hasAptGet) return { action: "install" };
  return {
    action: "stop",
    message: `The console's browser tests need Chromium, which is not installed: ${HOW}`,
  };
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

async function run(command: string, args: string[]): Promise<boolean> {
  const status = await new Deno.Command(command, {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "null",
    stderr: "inherit",
  }).output();
  return status.success;
}

if (import.meta.main) {
  const facts: ChromiumFacts = {
    chromiumPath: Deno.env.get("CHROMIUM_PATH") || undefined,
    exists,
    isRoot: Deno.uid() === 0,
    hasAptGet: exists("/usr/bin/apt-get"),
  };
  const plan = chromiumPlan(facts);
  if (plan.action === "install") {
    console.log("Installing Chromium from Debian for the console's browser tests");
    const installed = await run("apt-get", ["update", "-qq"]) &&
      await run("apt-get", ["install", "-y", "-qq", "chromium"]);
    if (!installed || !exists(DEFAULT_CHROMIUM)) {
      console.error(`Chromium could not be installed with apt-get: ${HOW}`);
      Deno.exit(1);
    }
  } else if (plan.action === "stop") {
    console.error(plan.message);
    Deno.exit(1);
  }
}
