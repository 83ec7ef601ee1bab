// A benchmark's agent server in its own process (forked by bench/spawn-server.ts): builds the app from the JSON
// options in argv[2], listens, and reports its address; on request reports its memory and CPU time (after a full GC).
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp, type BuildAppOptions } from '../agent-server/src/app';
import { benchAgents, type BenchAgentOptions } from './agents';

export type ServerProcessOptions = Pick<BuildAppOptions, 'sqliteFile' | 'databaseUrl' | 'pgSchema' | 'relay' | 'web' | 'conversations' | 'rateLimitPerMinute'> & {
	apiKey: string;
	agents?: BenchAgentOptions;
};

export interface ProcessMemory {
	rssMb: number;
	heapUsedMb: number;
	cpuMs: number;
}

async function main() {
	const { agents, ...options } = JSON.parse(process.argv[2]) as ServerProcessOptions;
	// Logging as deployed: one info line per request, written (here to a sink rather than a terminal).
	const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
	const app = await buildApp({ relay: { enabled: false }, rateLimitPerMinute: 0, ...options, agents: benchAgents(agents), logger: { level: 'info', stream: sink } });
	const url = await app.listen({ port: 0, host: '127.0.0.1' });
	process.on('message', async (message: string) => {
		if (message === 'memory') {
			// Two collections a moment apart, so what the first freed is given back before RSS is read.
			global.gc?.();
			await sleep(300);
			global.gc?.();
			const cpu = process.cpuUsage();
			const memory: ProcessMemory = { rssMb: process.memoryUsage().rss / 1048576, heapUsedMb: process.memoryUsage().heapUsed / 1048576, cpuMs: (cpu.user + cpu.system) / 1000 };
			process.send?.({ memory });
		} else if (message === 'close') {
			await app.close();
			process.exit(0);
		}
	});
	process.send?.({ url });
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
