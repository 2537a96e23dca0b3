// Entry of the batch prefetch thread (see prefetch.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { prefetchThread } from './prefetch.ts';

if (!parentPort) throw new Error('prefetch-worker.ts must run as a worker thread');
prefetchThread(parentPort, workerData.src);
