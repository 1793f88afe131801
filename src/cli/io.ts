import { createInterface } from "node:readline";
import { hasCode } from "../io/file-lock.ts";
import { redactKnownSecrets } from "../errors.ts";
import { terminalSafe, TerminalText } from "../render/terminal-text.ts";

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

/**
 * The io a command prints through (main hands it one): a string is data and reaches the terminal with
 * every control character escaped; a TerminalText (colours, progress lines) is gatehouse's own.
 */
export interface CommandIo extends Omit<CliIo, "stdout" | "stderr"> {
  readonly stdout: (text: string | TerminalText) => void;
  readonly stderr: (text: string | TerminalText) => void;
}

/**
 * What reaches stdout or stderr of something printed, on every path (main's io, its last-resort line): a
 * credential gatehouse read never (registerSecret), and no control character from a name or a message.
 * A string is redacted, then escaped (terminalSafe), so a secret is matched as it was read. A TerminalText
 * is gatehouse's own escape codes around data escaped when it was made: there the secret is matched in its
 * escaped spelling, which registerSecret also knows.
 */
export function printable(text: string | TerminalText): string {
  return text instanceof TerminalText
    ? redactKnownSecrets(text.text)
    : terminalSafe(redactKnownSecrets(text));
}

export function nodeIo(): CliIo {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: writerTo(process.stdout),
    stderr: writerTo(process.stderr),
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

/**
 * Writes to a standard stream. Once its reader is gone (EPIPE: `gatehouse plan | head`), later output is
 * dropped and the command runs on to its end with its own exit code: a closed pipe never cuts an apply
 * short, nor ends a plan with a stack trace.
 */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  let isGone = false;
  stream.on("error", (error) => {
    if (!hasCode(error, "EPIPE")) throw error;
    isGone = true;
  });
  return (text) => {
    if (!isGone) stream.write(text);
  };
}
