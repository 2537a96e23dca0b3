// One engine job on its own thread (see jobs.ts): rebuild the Project, run the job, post the
// result or the error with its code, and exit.
import { parentPort, workerData } from 'node:worker_threads';
import { textOf } from '../graph/error-codes.ts';
import { EngineError } from '../protocol.ts';
import { JOBS } from './job-table.ts';
import type { JobKind, JobMessage, ProjectSpec } from './jobs.ts';
import { Project } from './project.ts';

const { kind, args, project } = workerData as { kind: JobKind; args: unknown[]; project: ProjectSpec };
let reply: JobMessage;
try {
  const fn = JOBS[kind] as (p: Project, ...a: unknown[]) => Promise<unknown>;
  reply = { ok: true, result: await fn(new Project(project.root, { dataDirs: project.dataDirs }), ...args) };
} catch (e) {
  reply = { ok: false, code: e instanceof EngineError ? e.code : 'io', message: (e as Error).message, text: textOf(e) };
}
parentPort!.postMessage(reply);
