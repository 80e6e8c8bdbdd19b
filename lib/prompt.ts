// Secrets asked on the terminal (sudo password for -K, a key's passphrase), input hidden, one prompt
// at a time however many hosts connect at once. @inquirer/password does the terminal work (raw
// mode, masking, Ctrl-C); it is loaded only when a prompt is shown. zx's `question` echoes the
// input, so it is not used for secrets.

/** Whether prompts can be shown: stdin and stderr are a terminal. */
export function canPrompt(): boolean {
  return !!process.stdin.isTTY && !!process.stderr.isTTY;
}

let queue: Promise<unknown> = Promise.resolve();

/** Ask for a secret with the input hidden; undefined when the user gives nothing or aborts. */
export function askSecret(message: string): Promise<string | undefined> {
  const next = queue.then(async () => {
    const { default: password } = await import('@inquirer/password');
    try {
      const v = await password({ message, mask: false, toggleMask: false }, { output: process.stderr });
      return v === '' ? undefined : v;
    } catch (e) {
      if ((e as Error).name === 'ExitPromptError') {
        process.stderr.write('\n');
        process.exit(130);
      }
      throw e;
    }
  });
  queue = next.catch(() => undefined);
  return next;
}
