import { problemOf, type Problem } from '../../common/api';
import { problemFrom } from '../rescue/problems';

export type Output = {
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Asks a person a question and gives their answer; absent when no one can answer (not a terminal). */
  ask?: (question: string) => Promise<string>;
  /** Like `ask`, but what is typed is not shown (passwords); absent when no one can answer. */
  askSecret?: (question: string) => Promise<string>;
};

/** `--json` prints exactly one JSON document per result on stdout; prose goes to people. */
export function printResult(output: Output, value: unknown, prose: () => string): void {
  output.out(output.json ? JSON.stringify(value) : prose());
}

export function printProblem(output: Output, error: unknown): Problem {
  const problem = problemOf(error) ?? problemFrom(error);
  if (output.json) output.out(JSON.stringify({ error: problem }));
  else {
    output.err(`${problem.title}\n${problem.detail}`);
    for (const step of problem.nextSteps) output.err(`  • ${step}`);
    if (problem.helpUrl) output.err(`  More help: ${problem.helpUrl}`);
  }
  return problem;
}
