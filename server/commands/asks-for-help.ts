/**
 * `--help` or `-h` among the arguments (not after `--`, where it would be an operand). Apart
 * from the help texts, which import every command's module: `serve` asks this and need not
 * load them.
 */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}
