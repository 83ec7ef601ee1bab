// Sleeps that end early when woken by key: a waiter on this instance hears of a change at once instead of at its
// next poll (waiters behind other instances keep polling).
import { setTimeout as sleep } from 'node:timers/promises';

export interface Wakers {
	/** Ends every sleep on this key now. */
	wake(key: string): void;
	/** Ends every sleep (shutdown). */
	wakeAll(): void;
	/** Resolves when woken on this key, or after `ms`. */
	sleep(key: string, ms: number): Promise<void>;
}

export function createWakers(): Wakers {
	const waiters = new Map<string, Set<() => void>>();
	return {
		wake(key) {
			for (const wakeUp of waiters.get(key) ?? []) wakeUp();
		},
		wakeAll() {
			for (const set of waiters.values()) for (const wakeUp of set) wakeUp();
		},
		async sleep(key, ms) {
			const controller = new AbortController();
			const set = waiters.get(key) ?? new Set();
			waiters.set(key, set);
			const wakeUp = () => controller.abort();
			set.add(wakeUp);
			try {
				await sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
			} finally {
				set.delete(wakeUp);
				if (!set.size) waiters.delete(key);
			}
		},
	};
}
