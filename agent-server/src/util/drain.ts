// Graceful shutdown: the requests still running when the server closes, and a bounded wait for them to finish.
import type { FastifyInstance } from 'fastify';

export const DEFAULT_SHUTDOWN_DRAIN_MS = 8_000;

export interface Drain {
	/** Aborted once shutdown begins. */
	signal: AbortSignal;
	/** Shutdown begins: new waits stop, and the bound starts. */
	begin(): void;
	/** Resolves when no request is running, or when the bound has passed; says how many were still running. */
	settled(): Promise<number>;
}

/**
 * Counts running requests. Past `drainMs` after shutdown began, the connections still open are closed (their
 * requests' messages are stored: another instance answers them), so the server's close never waits longer.
 */
export function installDrain(app: FastifyInstance, drainMs = DEFAULT_SHUTDOWN_DRAIN_MS): Drain {
	const controller = new AbortController();
	const running = new Set<object>();
	let idle: (() => void) | undefined;
	let deadline = Infinity;
	const done = (request: object) => {
		running.delete(request);
		if (running.size === 0) idle?.();
	};
	app.addHook('onRequest', async (request, reply) => {
		running.add(request);
		// A request whose client went away or whose connection was cut never reaches onResponse.
		reply.raw.once('close', () => done(request));
	});
	app.addHook('onResponse', async (request) => done(request));
	let cut: NodeJS.Timeout | undefined;
	return {
		signal: controller.signal,
		begin() {
			if (controller.signal.aborted) return;
			deadline = Date.now() + drainMs;
			controller.abort();
			cut = setTimeout(() => app.server.closeAllConnections(), drainMs);
			cut.unref();
		},
		async settled() {
			while (running.size > 0 && Date.now() < deadline) {
				await new Promise<void>((resolve) => {
					idle = resolve;
					setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
				});
			}
			if (cut) clearTimeout(cut);
			return running.size;
		},
	};
}
