/** The operator CLI in-process (the same entry bin/medic.mjs calls), its output collected. */
import { operatorMain } from '../../cli/operator.ts';

/** `medic …` in-process: exit code and what it printed. */
export async function runOperator(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await operatorMain(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
