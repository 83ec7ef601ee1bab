// A task run every interval on one instance, never overlapping itself; stop() waits for a run in progress.
export interface Periodic {
	start(): void;
	stop(): Promise<void>;
}

/** Runs `task` every `intervalMs` (0: never); a run still going when the next is due is not doubled. */
export function createPeriodic(task: () => Promise<unknown>, intervalMs: number, onError: (err: unknown) => void): Periodic {
	let timer: NodeJS.Timeout | undefined;
	let running: Promise<unknown> | undefined;
	const tick = () => {
		if (running) return;
		running = task()
			.catch(onError)
			.finally(() => {
				running = undefined;
			});
	};
	return {
		start() {
			if (intervalMs > 0 && !timer) timer = setInterval(tick, intervalMs);
		},
		async stop() {
			if (timer) clearInterval(timer);
			timer = undefined;
			await running;
		},
	};
}
