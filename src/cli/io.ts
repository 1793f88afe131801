import { createInterface } from "node:readline";

/** Everything a command touches of the outside world; tests pass their own. */
export interface CliIo {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when stdout is a terminal: colours and progress display. */
  readonly isTTY: boolean;
  /** True when stdin is a terminal: confirmation prompts are possible. */
  readonly isInteractive: boolean;
  /** Asks a question on the terminal and returns the answer. */
  readonly prompt: (question: string) => Promise<string>;
  readonly now: () => Date;
  readonly fetch?: typeof fetch;
}

export function nodeIo(): CliIo {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: process.stdout.isTTY,
    isInteractive: process.stdin.isTTY,
    prompt: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await new Promise<string>((resolve) => {
          rl.question(question, resolve);
        });
      } finally {
        rl.close();
      }
    },
    now: () => new Date(),
  };
}
