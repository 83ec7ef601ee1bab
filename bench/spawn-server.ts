// Starts bench/server-process.ts as its own process (one node process with the TypeScript loader, so its memory is
// the server's alone) and talks to it over IPC.
import { fork } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ProcessMemory, ServerProcessOptions } from './server-process';

export interface BenchServer {
	url: string;
	pid: number;
	/** The process's resident memory, heap and CPU time so far, after a full GC. */
	memory(): Promise<ProcessMemory>;
	close(): Promise<void>;
}

export async function spawnBenchServer(options: ServerProcessOptions): Promise<BenchServer> {
	const child = fork(path.join(__dirname, 'server-process.ts'), [JSON.stringify(options)], {
		execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href, '--expose-gc'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const next = <T>(key: string) =>
		new Promise<T>((resolve, reject) => {
			const onMessage = (message: Record<string, unknown>) => {
				if (!(key in message)) return;
				child.off('message', onMessage);
				child.off('exit', onExit);
				resolve(message[key] as T);
			};
			const onExit = (code: number | null) => reject(new Error(`bench server exited (${code}) before answering ${key}`));
			child.on('message', onMessage);
			child.once('exit', onExit);
		});
	const url = await next<string>('url');
	return {
		url,
		pid: child.pid!,
		memory() {
			const answer = next<ProcessMemory>('memory');
			child.send('memory');
			return answer;
		},
		close() {
			if (child.exitCode !== null) return Promise.resolve();
			const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
			child.send('close');
			return exited;
		},
	};
}
