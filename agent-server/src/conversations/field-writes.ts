// Wakes a turn that waits for a workflow's result the moment this instance commits a write to the contact, instead
// of at its next poll (waiters behind another instance still notice by polling).
import { setTimeout as sleep } from 'node:timers/promises';

export interface FieldWrites {
	/** Called after a commit that changed the contact's fields. */
	written(contactId: string): void;
	/** Resolves at the contact's next write on this instance, or after `ms`. */
	next(contactId: string, ms: number): Promise<void>;
}

export function createFieldWrites(): FieldWrites {
	const waiters = new Map<string, Set<() => void>>();
	return {
		written(contactId) {
			for (const wake of waiters.get(contactId) ?? []) wake();
		},
		async next(contactId, ms) {
			const controller = new AbortController();
			const set = waiters.get(contactId) ?? new Set();
			waiters.set(contactId, set);
			const wake = () => controller.abort();
			set.add(wake);
			try {
				await sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
			} finally {
				set.delete(wake);
				if (!set.size) waiters.delete(contactId);
			}
		},
	};
}
